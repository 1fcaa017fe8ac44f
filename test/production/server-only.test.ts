// A server-only install (an Express or Hono backend that serves the kit's handler, its React app built elsewhere)
// needs none of React: the React peers are optional, so npm does not pull in TanStack Query, and the server, core and
// testing entries load and answer without the React side. React itself still arrives, as a required peer of Radix
// Toast (a dependency of the kit's toaster): removing it too would make every React app install Radix by hand.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packTarball, run } from './support.js';

let app: string;

beforeAll(async () => {
  const tarball = await packTarball();
  app = mkdtempSync(join(tmpdir(), 'cok-server-only-'));
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'server-only', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], { cwd: app });
}, 300_000);

describe('a server-only install from the packed tarball', () => {
  it('installs no TanStack Query, and React only for Radix Toast', async () => {
    expect(existsSync(join(app, 'node_modules/@tanstack/react-query'))).toBe(false);
    const { stdout } = await run('npm', ['explain', 'react', '--json'], { cwd: app });
    // Who requires it (the kit's own peer is optional now; react-dom comes for Radix too).
    const requiredBy = (JSON.parse(stdout) as { dependents: { type: string; from: { name?: string } }[] }[]).flatMap((node) =>
      node.dependents.filter((dependent) => dependent.type !== 'peerOptional').map((dependent) => dependent.from.name ?? ''),
    );
    expect(requiredBy).toContain('@radix-ui/react-toast');
    expect(requiredBy.every((name) => name.startsWith('@radix-ui/') || name === 'react-dom'), requiredBy.join(', ')).toBe(true);
  });

  it('runs the handler in front of the simulator, and the core, without them', async () => {
    writeFileSync(
      join(app, 'check.mjs'),
      `import { createClaudeHandler } from 'claude-overload-kit/server';
import { toClaudeError } from 'claude-overload-kit/core';
import { createOverloadSimulator } from 'claude-overload-kit/testing';
const claude = createClaudeHandler({ fetch: createOverloadSimulator().fetch });
const response = await claude(new Request('http://app.test/api/claude', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }),
}));
console.log(JSON.stringify({ status: response.status, kind: toClaudeError({ status: 529 }).kind }));
`,
    );
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ status: 200, kind: 'overloaded' });
  });
});
