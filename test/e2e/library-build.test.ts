// What a bundler meets in the published package: the library build (the same config as `npm run build`), read file
// by file. React Server Components frameworks (Next.js App Router) need "use client" on every file that holds React
// code, and nothing else; and `claude-overload-kit/server` must not pull in the optional Redis peers, which Turbopack
// resolves at build time even behind import().
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, relative } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const outDir = mkdtempSync(join(tmpdir(), 'cok-lib-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** Every emitted script, by path relative to the output folder (e.g. `index.js`, `chunks/core-1a2b.js`). */
let files: Map<string, string>;

beforeAll(async () => {
  await build({ configFile: 'vite.config.ts', mode: 'lib', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  files = new Map(
    readdirSync(outDir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.js'))
      .map((name) => [name.split('\\').join('/'), readFileSync(join(outDir, name), 'utf8')]),
  );
}, 60_000);

const DIRECTIVE = '"use client";';
const REACT_IMPORT = /\bfrom\s*["'](react|react-dom|react\/jsx-runtime|@tanstack\/react-query|@radix-ui\/react-toast)["']/;
const startsWithDirective = (text: string) => text.startsWith(DIRECTIVE) || text.startsWith("'use client';");

/** A file and every file it imports, statically or dynamically, within the build. */
function closure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of files.get(file)!.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(relative(outDir, normalize(join(outDir, dirname(file), specifier!))).split('\\').join('/'));
    }
  };
  visit(entry);
  return [...seen];
}

describe('the library build', () => {
  it('starts the root entry, which holds the provider, hooks and components, with "use client"', () => {
    const root = files.get('index.js')!;
    expect(REACT_IMPORT.test(root)).toBe(true);
    expect(startsWithDirective(root)).toBe(true);
  });

  it('puts "use client" on exactly the files that hold React code, and on no core, server or testing file', () => {
    expect(files.size).toBeGreaterThan(5);
    for (const [name, text] of files) {
      expect(startsWithDirective(text), `${name}: "use client" ${REACT_IMPORT.test(text) ? 'missing' : 'where no React is'}`).toBe(
        REACT_IMPORT.test(text),
      );
    }
    // ai-sdk.js too: a route handler imports createClaudeFetch from it, so it must load no React and no "use client".
    for (const entry of ['core.js', 'fallback.js', 'lanes.js', 'query.js', 'server.js', 'server-redis.js', 'ai-sdk.js', 'testing.js', 'testing-msw.js']) {
      for (const file of closure(entry)) expect(startsWithDirective(files.get(file)!), `${entry} loads ${file}`).toBe(false);
    }
  });

  it('keeps ioredis and bullmq out of claude-overload-kit/server, and in claude-overload-kit/server/redis', () => {
    const server = closure('server.js');
    expect(server.length).toBeGreaterThan(1);
    for (const file of server) expect(/ioredis|bullmq/.test(files.get(file)!), `server.js loads ${file}, which names Redis`).toBe(false);
    for (const file of closure('ai-sdk.js')) expect(/ioredis|bullmq/.test(files.get(file)!), `ai-sdk.js loads ${file}, which names Redis`).toBe(false);
    expect(closure('server-redis.js').some((file) => /import\(["']ioredis["']\)/.test(files.get(file)!))).toBe(true);
  });

  it('puts the fallback chain and the priority lanes only where an app imports them, in their own entries', () => {
    const chain = /function (modelFallback|chainFor)\b/;
    const lanes = /function (priorityLanes|createBackgroundYield)\b/;
    for (const entry of ['index.js', 'core.js', 'query.js', 'ai-sdk.js']) {
      for (const file of closure(entry)) {
        expect(chain.test(files.get(file)!), `${entry} loads ${file}, which holds the fallback chain`).toBe(false);
        expect(lanes.test(files.get(file)!), `${entry} loads ${file}, which holds the priority lanes`).toBe(false);
      }
    }
    expect(closure('fallback.js').some((file) => chain.test(files.get(file)!))).toBe(true);
    expect(closure('lanes.js').some((file) => lanes.test(files.get(file)!))).toBe(true);
  });
});
