// How a waiting request judges what Redis says about its job, on fake timers and a Redis that answers from a map.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import { createJobWatch } from '../../../src/server/store/redis-job-watch.js';
import type { JobOutcome } from '../../../src/server/store/redis-job-watch.js';

type Hash = { timestamp?: string; finishedOn?: string; returnvalue?: string; failedReason?: string };

/** Just the pipelined HMGET the watch uses; `hang` makes every call wait forever, like a stopped Redis. */
function redisOf(jobs: Map<string, Hash>, behaviour: { hang?: boolean } = {}): Redis {
  return {
    pipeline() {
      const keys: string[] = [];
      const pipeline = {
        hmget(key: string) {
          keys.push(key);
          return pipeline;
        },
        exec: () => (behaviour.hang ? new Promise(() => {})
          : Promise.resolve(keys.map((key) => {
            const hash = jobs.get(key);
            return [null, [hash?.timestamp ?? null, hash?.finishedOn ?? null, hash?.returnvalue ?? null, hash?.failedReason ?? null]];
          }))),
      };
      return pipeline;
    },
  } as unknown as Redis;
}

const answer = { status: 200, headers: {}, body: '{"text":"mine"}' };
const done = (value: unknown): Hash => ({ timestamp: '1', finishedOn: '2', returnvalue: JSON.stringify(value) });

describe('the job watch', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(jobs: Map<string, Hash>, behaviour: { hang?: boolean } = {}) {
    const redis = redisOf(jobs, behaviour);
    return createJobWatch({ client: () => redis, commandTimeoutMs: 300, checkMs: 100, clock: systemClock });
  }

  it('accepts a finished job’s answer only with the token its request put in', async () => {
    const jobs = new Map<string, Hash>([['k:mine', { timestamp: '1' }], ['k:other', { timestamp: '1' }]]);
    const watch = setup(jobs);
    const outcomes: JobOutcome[] = [];
    void watch.wait('mine', 'k:mine', 'token-a', new AbortController().signal, 60_000).then((o) => outcomes.push(o));
    void watch.wait('other', 'k:other', 'token-b', new AbortController().signal, 60_000).then((o) => outcomes.push(o));
    await vi.advanceTimersByTimeAsync(150);
    expect(outcomes).toEqual([]);
    jobs.set('k:mine', done({ token: 'token-a', answer }));
    // Same id, someone else's job (another fleet, a Redis that restarted): never handed over.
    jobs.set('k:other', done({ token: 'token-z', answer: { ...answer, body: 'not yours' } }));
    await vi.advanceTimersByTimeAsync(100);
    expect(outcomes).toEqual([{ kind: 'answer', answer }, { kind: 'vanished' }]);
    watch.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a completion event that carries another token, and takes one that carries its own at once', async () => {
    const watch = setup(new Map([['k:1', { timestamp: '1' }]]));
    let outcome: JobOutcome | undefined;
    void watch.wait('1', 'k:1', 'mine', new AbortController().signal, 60_000).then((o) => (outcome = o));
    watch.completed('1', { token: 'theirs', answer });
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome).toBeUndefined();
    watch.completed('1', { token: 'mine', answer });
    await vi.advanceTimersByTimeAsync(0);
    expect(outcome).toEqual({ kind: 'answer', answer });
    watch.close();
  });

  it('calls a job that Redis no longer has vanished, and a Redis that does not answer in time unreachable', async () => {
    const gone = setup(new Map());
    const lost = gone.wait('1', 'k:1', 't', new AbortController().signal, 60_000);
    await vi.advanceTimersByTimeAsync(100);
    expect(await lost).toEqual({ kind: 'vanished' });

    const stopped = setup(new Map([['k:1', { timestamp: '1' }]]), { hang: true });
    let outcome: JobOutcome | undefined;
    void stopped.wait('1', 'k:1', 't', new AbortController().signal, 60_000).then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(100 + 299);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome?.kind).toBe('unreachable');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends a wait when its request leaves or its time is up, leaving no timer behind', async () => {
    const watch = setup(new Map([['k:1', { timestamp: '1' }], ['k:2', { timestamp: '1' }]]));
    const controller = new AbortController();
    const left = watch.wait('1', 'k:1', 't', controller.signal, 60_000);
    const late = watch.wait('2', 'k:2', 't', new AbortController().signal, 1_000);
    controller.abort();
    expect(await left).toEqual({ kind: 'aborted' });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await late).toEqual({ kind: 'timeout' });
    await vi.advanceTimersByTimeAsync(200);
    expect(vi.getTimerCount()).toBe(0);
  });
});
