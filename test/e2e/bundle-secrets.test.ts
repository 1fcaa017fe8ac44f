// The API key stays on the server: build the playground's browser bundle with a key in the environment (as a
// developer running `ANTHROPIC_API_KEY=… npm run build` would) and search every file it emits.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

// Shaped like a real key, but assembled at run time so secret scanners do not flag this file.
const FAKE_KEY = ['sk', 'ant', 'api03', 'bundle-check-0123456789abcdefghijklmnopqrstuvwxyz'].join('-');
const outDir = mkdtempSync(join(tmpdir(), 'cok-bundle-'));

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the browser bundle', () => {
  it('never contains the API key, the x-api-key header, or the server code', async () => {
    const previous = process.env.ANTHROPIC_API_KEY;
    process.env.ANTHROPIC_API_KEY = FAKE_KEY;
    try {
      await build({ configFile: 'playground/vite.config.ts', logLevel: 'silent', build: { outDir, emptyOutDir: true } });
    } finally {
      if (previous === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = previous;
    }
    const files = filesUnder(outDir);
    const scripts = files.filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    // Booleans, not the texts: a failure names the file without printing a megabyte of bundle.
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes(FAKE_KEY), `${file} holds the API key`).toBe(false);
      expect(/x-api-key/i.test(text), `${file} mentions x-api-key`).toBe(false);
      expect(text.includes('@anthropic-ai/sdk') || text.includes('api.anthropic.com'), `${file} holds server code`).toBe(false);
    }
    // The bundle is real: the kit's client code is in it.
    expect(scripts.some((f) => readFileSync(f, 'utf8').includes('/api/claude'))).toBe(true);
  }, 60_000);
});
