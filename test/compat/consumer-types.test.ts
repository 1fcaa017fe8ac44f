// What a user installs: the packed tarball's package.json pulls no server-only package into a browser-only install,
// and the server entry's declarations type-check with `skipLibCheck: false` in a project that has neither ioredis
// nor bullmq (nor the Anthropic SDK, zod or hono) installed.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'cok-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const SERVER_ONLY = ['@anthropic-ai/sdk', 'zod', 'hono', '@hono/node-server', 'ioredis', 'bullmq'];


describe('the installed package', { timeout: 120_000 }, () => {
  it("declares none of the server-only packages as a dependency (the packed tarball's package.json)", () => {
    const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work, '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as { filename: string }[];
    execFileSync('tar', ['-xzf', join(work, packed!.filename), '-C', work, 'package/package.json']);
    const manifest = JSON.parse(readFileSync(join(work, 'package', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const installed = Object.keys(manifest.dependencies ?? {});
    const requiredPeers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !manifest.peerDependenciesMeta?.[name as never]);
    for (const name of SERVER_ONLY) {
      expect(installed, name).not.toContain(name);
      expect(requiredPeers, name).not.toContain(name);
    }
  });

  it("type-checks a file importing 'claude-overload-kit/server' with skipLibCheck: false and no ioredis or bullmq", () => {
    const kit = join(work, 'app', 'node_modules', 'claude-overload-kit');
    mkdirSync(kit, { recursive: true });
    // The declarations as the build emits them, under the package's own exports map.
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json'), '--outDir', join(kit, 'dist', 'types'), '--declarationMap', 'false'], { cwd: root });
    cpSync(join(root, 'package.json'), join(kit, 'package.json'));
    writeFileSync(join(work, 'app', 'route.ts'), [
      "import { createClaudeHandler, errorResponse } from 'claude-overload-kit/server';",
      "import type { ClaudeHandlerOptions } from 'claude-overload-kit/server';",
      "const options: ClaudeHandlerOptions = { models: ['claude-sonnet-4-5'], maxTokensCap: 4096, allowServerTools: ['web_search'] };",
      'const handler = createClaudeHandler(options);',
      'export const POST = (request: Request): Promise<Response> => handler(request);',
      "export const refuse = (): Response => errorResponse(403, 'permission_error', 'No');",
    ].join('\n'));
    writeFileSync(join(work, 'app', 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom', 'dom.iterable'], types: [] },
      files: ['route.ts'],
    }));
    writeFileSync(join(work, 'app', 'package.json'), JSON.stringify({ type: 'module' }));
    let output = '';
    try {
      execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(work, 'app', 'tsconfig.json')], { cwd: join(work, 'app'), encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
