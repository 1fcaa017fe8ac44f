import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import graph of src/, type-only imports included, read from the files (no tool needed): what ARCHITECTURE.md
// says about the layers, held. A circle, even of types, means two modules cannot be understood or moved apart.
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Static `import … from './x.js'`, `import './x.js'`, `export … from './x.js'` (comments between the braces too). No
 * module of src/ loads another with `import('./x.js')`; one that did would need this to read it too.
 */
const RELATIVE_IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`${relative(ROOT, from)} imports ${specifier}, which is no file of src/`);
}

/** Each module of src/ (as `core/gate.ts`) and the modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const imports = [...readFileSync(file, 'utf8').matchAll(RELATIVE_IMPORT)].map((match) => resolveImport(file, match[1]!));
    graph.set(relative(join(ROOT, 'src'), file), [...new Set(imports.map((path) => relative(join(ROOT, 'src'), path)))]);
  }
  return graph;
}

/** The circles of a graph: its strongly connected components of more than one module, or a module importing itself. */
function circlesOf(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (module: string) => {
    index.set(module, index.size);
    low.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    for (const next of graph.get(module) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(module, Math.min(low.get(module)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(module, Math.min(low.get(module)!, index.get(next)!));
      }
    }
    if (low.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    if (component.length > 1 || graph.get(module)?.includes(module)) circles.push(component.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return circles;
}

/** Which layers each layer may import (ARCHITECTURE.md); `index.ts` is the root entry and may import any. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  core: ['core'],
  query: ['query', 'core'],
  react: ['react', 'query', 'core'],
  components: ['components', 'react', 'core'],
  server: ['server', 'core'],
  testing: ['testing', 'core'],
  'ai-sdk': ['ai-sdk', 'server', 'core'],
  features: ['features', 'react', 'core'],
};
const layerOf = (module: string) => (module.includes('/') ? module.split('/')[0]! : 'root');

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('has no import circle, type-only imports included', () => {
    expect(circlesOf(graph)).toEqual([]);
  });

  it("keeps core's shared types in a leaf module that imports nothing", () => {
    expect(graph.get('core/types.ts')).toEqual([]);
  });

  it('points one way: components → react → query → core, server → core, testing → core', () => {
    const upward: string[] = [];
    for (const [module, imports] of graph) {
      const allowed = MAY_IMPORT[layerOf(module)];
      if (!allowed) continue;
      for (const target of imports) if (!allowed.includes(layerOf(target))) upward.push(`${module} → ${target}`);
    }
    expect(upward).toEqual([]);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const withCircle = new Map([
      ['core/a.ts', ['core/b.ts']],
      ['core/b.ts', ['core/c.ts']],
      ['core/c.ts', ['core/a.ts']],
      ['core/leaf.ts', []],
    ]);
    expect(circlesOf(withCircle)).toEqual([['core/a.ts', 'core/b.ts', 'core/c.ts']]);
  });
});
