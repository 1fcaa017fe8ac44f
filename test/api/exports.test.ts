import { describe, expect, it } from 'vitest';

// Each public entry's runtime exports, sorted. A change here is a change to the public API: add or remove the name on
// purpose (the package is 0.x: a rename is a rename, no alias), and say which entry it belongs in (ARCHITECTURE.md,
// "Where things live"). Types are checked in types.test.ts.
const entries = {
  'claude-overload-kit': () => import('../../src/index.js'),
  'claude-overload-kit/ai-sdk': () => import('../../src/ai-sdk/index.js'),
  'claude-overload-kit/core': () => import('../../src/core/index.js'),
  'claude-overload-kit/fallback': () => import('../../src/features/fallback.js'),
  'claude-overload-kit/lanes': () => import('../../src/features/lanes.js'),
  'claude-overload-kit/query': () => import('../../src/query/index.js'),
  'claude-overload-kit/messages/fr': () => import('../../src/core/messages-fr.js'),
  'claude-overload-kit/server': () => import('../../src/server/index.js'),
  'claude-overload-kit/server/redis': () => import('../../src/server/redis-entry.js'),
  'claude-overload-kit/testing': () => import('../../src/testing/index.js'),
  'claude-overload-kit/testing/msw': () => import('../../src/testing/msw-entry.js'),
  'claude-overload-kit/escalation': () => import('../../src/features/escalation.js'),
  'claude-overload-kit/status': () => import('../../src/features/status.js'),
  'claude-overload-kit/offers': () => import('../../src/features/offers.js'),
};

describe('the public entries', () => {
  it.each(Object.entries(entries))('%s exports exactly its snapshotted names', async (name, load) => {
    const names = Object.keys(await load()).sort();
    expect(names).toMatchSnapshot();
    void name;
  });

  it('keeps the root entry small: what a React app imports, at most 30 runtime values', async () => {
    const root = Object.keys(await import('../../src/index.js'));
    expect(root.length).toBeLessThanOrEqual(30);
    for (const buildingBlock of ['createGate', 'createRetryer', 'createDemandStore', 'createTransport', 'createQueryRegistry', 'defaultMessages']) {
      expect(root).not.toContain(buildingBlock);
    }
  });

  it('exports no internal of core through the core entry', async () => {
    const core = await import('../../src/core/index.js');
    for (const internal of [
      'isPressure', 'isRecord', 'sleep', 'createFifo', 'createMinHeap', 'ERROR_TYPES', 'SPEND_LIMIT_CODE', 'readMessageStream',
      'hashRequest', 'stableStringify', 'chainFor', 'newLineTicket', 'TICKET_HEADER',
    ]) {
      expect(core).not.toHaveProperty(internal);
    }
  });
});
