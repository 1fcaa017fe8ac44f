import { describe, expect, it } from 'vitest';

// Each public entry's runtime exports, sorted. A change here is a change to the public API: add the name on purpose,
// or keep a rename's old name as a deprecated alias for one release (DESIGN.md). Types are checked in types.test.ts.
const entries = {
  'claude-overload-kit': () => import('../../src/index.js'),
  'claude-overload-kit/ai-sdk': () => import('../../src/ai-sdk/index.js'),
  'claude-overload-kit/core': () => import('../../src/core/index.js'),
  'claude-overload-kit/fallback': () => import('../../src/core/fallback.js'),
  'claude-overload-kit/lanes': () => import('../../src/core/lanes.js'),
  'claude-overload-kit/query': () => import('../../src/query/index.js'),
  'claude-overload-kit/messages/fr': () => import('../../src/core/messages-fr.js'),
  'claude-overload-kit/server': () => import('../../src/server/index.js'),
  'claude-overload-kit/server/redis': () => import('../../src/server/redis-entry.js'),
  'claude-overload-kit/testing': () => import('../../src/testing/index.js'),
  'claude-overload-kit/testing/msw': () => import('../../src/testing/msw-entry.js'),
};

describe('the public entries', () => {
  it.each(Object.entries(entries))('%s exports exactly its snapshotted names', async (name, load) => {
    const names = Object.keys(await load()).sort();
    expect(names).toMatchSnapshot();
    void name;
  });

  it('keeps the deprecated aliases working for one release', async () => {
    const root = await import('../../src/index.js');
    const fr = await import('../../src/core/messages-fr.js');
    expect(root.frenchMessages).toBe(fr.frenchMessages);
    expect(root.hashRequest({ b: 1, a: 2 })).toBe(root.hashRequest({ a: 2, b: 1 }));
    expect(root.stableStringify({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('exports no internal of core through the core entry', async () => {
    const core = await import('../../src/core/index.js');
    for (const internal of ['isPressure', 'isRecord', 'sleep', 'createLine', 'createMinHeap', 'ERROR_TYPES', 'SPEND_LIMIT_CODE']) {
      expect(core).not.toHaveProperty(internal);
    }
  });
});
