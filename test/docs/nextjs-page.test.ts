// The Next.js page (docs/nextjs.md) shows the example's files; CI builds and drives that example
// (scripts/check-nextjs.mjs), so a snippet that matches its file is a snippet known to build and run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const section = readFileSync('docs/nextjs.md', 'utf8');
const snippets = [...section.matchAll(/```\w+ title="([^"]+)"\n([\s\S]*?)```/g)].map(([, file, code]) => ({ file: file!, code: code! }));

describe('the Next.js page', () => {
  it('shows the layout, the providers, the page and its chat, both route handlers and the simulator', () => {
    expect(snippets.map((snippet) => snippet.file)).toEqual([
      'app/layout.tsx',
      'app/providers.tsx',
      'app/page.tsx',
      'app/chat.tsx',
      'app/api/claude/[[...path]]/route.ts',
      'app/api/status/route.ts',
      'lib/simulator.ts',
    ]);
  });

  it.each(snippets.map((snippet) => [snippet.file, snippet.code]))('shows %s exactly as examples/nextjs has it', (file, code) => {
    expect(code).toBe(readFileSync(`examples/nextjs/${file}`, 'utf8'));
  });

  it('keeps the layout and the page Server Components and marks the providers and the chat client ones', () => {
    const code = (file: string) => snippets.find((snippet) => snippet.file === file)!.code;
    expect(code('app/layout.tsx')).not.toMatch(/['"]use client['"]/);
    expect(code('app/layout.tsx')).toMatch(/export const metadata/);
    expect(code('app/page.tsx')).not.toMatch(/['"]use client['"]/);
    expect(code('app/providers.tsx').startsWith("'use client';")).toBe(true);
    expect(code('app/chat.tsx').startsWith("'use client';")).toBe(true);
  });
});
