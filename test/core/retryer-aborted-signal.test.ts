import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetryer } from '../../src/core/retryer.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { createGate } from '../../src/core/gate.js';
import { overloaded, scripted } from './helpers.js';

const policy = createRetryPolicy({ random: () => 0.5 });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createRetryer under an abort', () => {
  it('sends nothing when its signal was aborted before it started', async () => {
    const { run, calls } = scripted(['answer']);
    const retryer = createRetryer({ run, policy, signal: AbortSignal.abort() });
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(calls).toHaveLength(0);
    expect(retryer.getSnapshot().phase).toBe('failed');
  });

  it('sends nothing when its signal was aborted before it started, with a gate', async () => {
    const { run, calls } = scripted(['answer']);
    const retryer = createRetryer({ run, policy, gate: createGate(), signal: AbortSignal.abort() });
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(calls).toHaveLength(0);
  });

  it('settles and leaves no timer when cancelled while the gate holds it', async () => {
    const gate = createGate({ minClosedMs: 5_000 });
    const first = scripted([overloaded(), 'a'], { latencyMs: 10 });
    const a = createRetryer({ run: first.run, policy, gate });
    await vi.advanceTimersByTimeAsync(10);
    expect(gate.getSnapshot().state).toBe('closed');
    const second = scripted(['b']);
    const b = createRetryer({ run: second.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getSnapshot().phase).toBe('waiting');
    b.cancel();
    await expect(b.promise).rejects.toMatchObject({ kind: 'aborted' });
    a.cancel();
    await expect(a.promise).rejects.toMatchObject({ kind: 'aborted' });
    await vi.advanceTimersByTimeAsync(0);
    expect(second.calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
