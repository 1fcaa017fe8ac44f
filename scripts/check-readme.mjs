// The code of the README and of every docs/*.md page, checked. A block that names a file of an example app (a first
// line `// src/App.tsx`, or ```tsx title="app/page.tsx"`) must be that file, word for word: CI builds and runs the
// examples, which type-checks them. Every other TypeScript block is type-checked here against the kit's sources. A
// snippet that drifts or stops compiling fails with its file and line.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const EXAMPLES = readdirSync('examples').map((name) => join('examples', name));
const OUT = 'node_modules/.cache/readme-snippets';
const PAGES = ['README.md', ...readdirSync('docs').filter((name) => name.endsWith('.md')).sort().map((name) => join('docs', name))];

/** Fenced blocks: the page, language, first line number (1-based) of the code, and the code. */
const blocks = [];
for (const page of PAGES) {
  const text = readFileSync(page, 'utf8').split('\n');
  for (let i = 0; i < text.length; i += 1) {
    const open = /^```(\w+)(?:\s+title="([^"]+)")?\s*$/.exec(text[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < text.length && text[end] !== '```') end += 1;
    blocks.push({ page, lang: open[1], title: open[2], line: start + 1, code: text.slice(start, end).join('\n') });
    i = end;
  }
}
/** A snippet's file name says where it came from: `docs/line.md` line 12 → `docs__line.md@12.ts`. */
const snippetName = (block, ext) => `${block.page.replace(/[/\\]/g, '__')}@${block.line}.${ext}`;
const SNIPPET = /(?:^|\/)([^/]+\.md)@(\d+)\.tsx?\((\d+),(\d+)\): (.*)/;

const problems = [];
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const checked = [];
for (const block of blocks) {
  const lines = block.code.split('\n');
  const comment = /^\/\/ ([\w./\[\]-]+\.(?:tsx?|jsx?|css|mjs))\s*$/.exec(lines[0])?.[1];
  const path = block.title ?? comment;
  // Two examples may both have a `server.js`: the block must be one of them, word for word.
  const examples = path ? EXAMPLES.filter((dir) => existsSync(join(dir, path))) : [];
  if (examples.length > 0) {
    const body = (comment ? lines.slice(1) : lines).join('\n').trimEnd();
    if (!examples.some((dir) => body === readFileSync(join(dir, path), 'utf8').trimEnd())) {
      problems.push(`${block.page}:${block.line}: differs from ${examples.map((dir) => `${dir}/${path}`).join(' and from ')}`);
    }
    continue;
  }
  if (path && block.title) problems.push(`${block.page}:${block.line}: title="${path}" names no file of ${EXAMPLES.join(', ')}`);
  if (!['ts', 'tsx', 'typescript'].includes(block.lang)) continue;
  const name = snippetName(block, block.lang === 'tsx' ? 'tsx' : 'ts');
  // Each block is a module of its own, so two blocks may both declare `function Chat`.
  writeFileSync(join(OUT, name), `${block.code}\nexport {};\n`);
  checked.push(name);
}

// The kit's entries as the root tsconfig maps them (its paths are relative to the root; OUT is three levels down).
const rootPaths = JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions.paths;
const paths = Object.fromEntries(
  Object.entries(rootPaths).map(([name, targets]) => [name, targets.map((target) => join('../../..', target))]),
);
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
        paths,
      },
      include: ['*.ts', '*.tsx'],
    },
    null,
    2,
  ),
);

try {
  execFileSync('npx', ['tsc', '-p', join(OUT, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
} catch (error) {
  const output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
  for (const line of output.split('\n').filter(Boolean)) {
    const match = SNIPPET.exec(line.trim());
    if (match) problems.push(`${match[1].replace(/__/g, '/')}:${Number(match[2]) + Number(match[3]) - 1}:${match[4]}: ${match[5]}`);
    else if (!/^\s/.test(line)) problems.push(line);
  }
}

if (problems.length > 0) {
  console.error(`README and docs code check: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(
  `README and docs code check: ${checked.length} TypeScript blocks of ${PAGES.length} pages compile; the examples' files match their copies.`,
);
