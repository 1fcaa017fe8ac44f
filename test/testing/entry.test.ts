import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the testing entry', () => {
  it('runs the simulator without msw: only claude-overload-kit/testing/msw imports it', () => {
    const imports = (path: string) => [...readFileSync(path, 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    const reachable = new Set<string>();
    const visit = (path: string) => {
      if (reachable.has(path)) return;
      reachable.add(path);
      for (const spec of imports(path)) {
        if (spec?.startsWith('.')) visit(new URL(spec.replace(/\.js$/, '.ts'), `file://${process.cwd()}/${path}`).pathname.slice(process.cwd().length + 1));
        else expect(spec, `${path} imports ${spec}`).not.toMatch(/^msw/);
      }
    };
    visit('src/testing/index.ts');
    expect(reachable.size).toBeGreaterThan(3);
    expect(imports('src/testing/msw.ts')).toContain('msw');
  });
});
