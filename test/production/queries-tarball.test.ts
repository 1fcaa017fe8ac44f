// What a TanStack Query user gets from the packed tarball: a fresh app installs it (with React, TanStack Query and
// Vitest, nothing of the kit's sources) and runs test/production/queries-app/app.spec.ts against it — Suspense
// through two 529s with the banner, prefetch then the hook, useQueries under the gate's limit.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packTarball, ROOT, run } from './support.js';

const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const SAME_AS_THE_KIT = ['react', 'react-dom', '@tanstack/react-query', 'vitest', 'jsdom', '@testing-library/react', '@testing-library/dom'];

let app: string;

beforeAll(async () => {
  const tarball = await packTarball();
  app = mkdtempSync(join(tmpdir(), 'cok-queries-'));
  const dependencies = Object.fromEntries(SAME_AS_THE_KIT.map((name) => [name, root.devDependencies[name]!]));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'queries-app', private: true, type: 'module', dependencies: { 'claude-overload-kit': `file:${tarball}`, ...dependencies } }, null, 2),
  );
  mkdirSync(join(app, 'test'));
  copyFileSync(join(ROOT, 'test/production/queries-app/app.spec.ts'), join(app, 'test/app.spec.ts'));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
}, 300_000);

describe('claudeQueryOptions from the packed tarball, in a fresh app', () => {
  it('passes every scenario of the app spec', async () => {
    const report = join(app, 'report.json');
    await run('npx', ['vitest', 'run', '--reporter=json', `--outputFile=${report}`], { cwd: app }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the app's tests failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    const results = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numTotalTests: number };
    expect(results).toMatchObject({ numPassedTests: 3, numTotalTests: 3 });
  });
});
