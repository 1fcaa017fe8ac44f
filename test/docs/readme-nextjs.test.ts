// The README's Next.js section shows the example's files; CI builds and drives that example (scripts/check-nextjs.mjs),
// so a snippet that matches its file is a snippet known to build and run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
const start = readme.indexOf('\n## Next.js App Router\n');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const snippets = [...section.matchAll(/```\w+ title="([^"]+)"\n([\s\S]*?)```/g)].map(([, file, code]) => ({ file: file!, code: code! }));

describe("the README's Next.js section", () => {
  it('shows the layout, the providers, both route handlers and the simulator', () => {
    expect(start).toBeGreaterThan(0);
    expect(snippets.map((snippet) => snippet.file)).toEqual([
      'app/layout.tsx',
      'app/providers.tsx',
      'app/api/claude/[[...path]]/route.ts',
      'app/api/status/route.ts',
      'lib/simulator.ts',
    ]);
  });

  it.each(snippets.map((snippet) => [snippet.file, snippet.code]))('shows %s exactly as examples/nextjs has it', (file, code) => {
    expect(code).toBe(readFileSync(`examples/nextjs/${file}`, 'utf8'));
  });

  it('keeps the layout a Server Component and marks the providers a client one', () => {
    const layout = snippets.find((snippet) => snippet.file === 'app/layout.tsx')!.code;
    const providers = snippets.find((snippet) => snippet.file === 'app/providers.tsx')!.code;
    expect(layout).not.toMatch(/['"]use client['"]/);
    expect(layout).toMatch(/export const metadata/);
    expect(providers.startsWith("'use client';")).toBe(true);
  });
});
