// The README's code, checked: every TypeScript block is type-checked against the kit's sources, and every block
// that names a file of the example app (`// src/App.tsx`) must be that file, word for word, since CI builds and runs
// examples/vite-hono. A snippet that drifts or stops compiling fails here, with its README line.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EXAMPLE = 'examples/vite-hono';
const OUT = 'node_modules/.cache/readme-snippets';
const readme = readFileSync('README.md', 'utf8').split('\n');

/** Fenced blocks: language, first line number (1-based) of the code, and the code. */
const blocks = [];
for (let i = 0; i < readme.length; i += 1) {
  const open = /^```(\w+)\s*$/.exec(readme[i]);
  if (!open) continue;
  const start = i + 1;
  let end = start;
  while (end < readme.length && readme[end] !== '```') end += 1;
  blocks.push({ lang: open[1], line: start + 1, code: readme.slice(start, end).join('\n') });
  i = end;
}

const problems = [];
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const checked = [];
for (const block of blocks) {
  const named = /^\/\/ ([\w./-]+\.(?:tsx?|jsx?|css))\s*$/.exec(block.code.split('\n')[0]);
  if (named && existsSync(join(EXAMPLE, named[1]))) {
    const body = block.code.split('\n').slice(1).join('\n').trimEnd();
    const file = readFileSync(join(EXAMPLE, named[1]), 'utf8').trimEnd();
    if (body !== file) problems.push(`README.md:${block.line}: differs from ${EXAMPLE}/${named[1]}`);
  }
  if (!['ts', 'tsx', 'typescript'].includes(block.lang)) continue;
  // Config files are the example's; they are type-checked where they live (its `npm run build`).
  if (named && /(^|\/)vite\.config\.ts$/.test(named[1])) continue;
  const name = `readme-line-${block.line}.${block.lang === 'tsx' ? 'tsx' : 'ts'}`;
  // Each block is a module of its own, so two blocks may both declare `function Chat`.
  writeFileSync(join(OUT, name), `${block.code}\nexport {};\n`);
  checked.push({ name, line: block.line });
}

const src = (path) => [`../../../src/${path}`];
writeFileSync(
  join(OUT, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        module: 'ESNext',
        moduleResolution: 'Bundler',
        jsx: 'react-jsx',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node', 'vite/client'],
        paths: {
          'claude-overload-kit': src('index.ts'),
          'claude-overload-kit/core': src('core/index.ts'),
          'claude-overload-kit/server': src('server/index.ts'),
          'claude-overload-kit/testing': src('testing/index.ts'),
          'claude-overload-kit/testing/msw': src('testing/msw-entry.ts'),
        },
      },
      include: ['*.ts', '*.tsx'],
    },
    null,
    2,
  ),
);
// The example's own module that the README's App.tsx imports (`./Chat`), beside it as in the app.
writeFileSync(join(OUT, 'Chat.tsx'), readFileSync(join(EXAMPLE, 'src/Chat.tsx'), 'utf8'));

try {
  execFileSync('npx', ['tsc', '-p', join(OUT, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
} catch (error) {
  const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
  for (const line of output.split('\n').filter(Boolean)) {
    const match = /readme-line-(\d+)\.tsx?\((\d+),(\d+)\): (.*)/.exec(line);
    if (match) problems.push(`README.md:${Number(match[1]) + Number(match[2]) - 1}:${match[3]}: ${match[4]}`);
    else if (!/^\s/.test(line)) problems.push(line);
  }
}

if (problems.length > 0) {
  console.error(`README code check: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`README code check: ${checked.length} TypeScript blocks compile; the example's files match the README.`);
