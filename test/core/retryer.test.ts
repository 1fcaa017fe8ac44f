import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vi } from 'vitest';
import { createRetryer } from '../../src/core/retryer.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { createGate } from '../../src/core/gate.js';
import { badRequest, createOnlineSwitch, overloaded, rateLimited, scripted } from './helpers.js';
import { priorityLanes } from '../../src/features/lanes.js';

const policy = createRetryPolicy({ random: () => 0.5 });

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createRetryer', () => {
  it('retries an overload after the policy delay and resolves with the answer', async () => {
    const { run, calls } = scripted([overloaded(), overloaded(), 'answer']);
    const retryer = createRetryer({ run, policy });
    await vi.advanceTimersByTimeAsync(0);
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'waiting', attempt: 1 });
    expect(retryer.getSnapshot().failure?.kind).toBe('overloaded');
    const firstWait = retryer.getSnapshot().nextAttemptAt! - Date.now();
    expect(firstWait).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(firstWait - 1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await vi.runAllTimersAsync();
    await expect(retryer.promise).resolves.toBe('answer');
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'succeeded', attempt: 3, failure: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never retries a failure the policy says not to retry', async () => {
    const { run, calls } = scripted([badRequest(), 'never']);
    const retryer = createRetryer({ run, policy });
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'invalid_request' });
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
    expect(retryer.getSnapshot().phase).toBe('failed');
  });

  it('waits at least as long as retry-after asks', async () => {
    const { run, calls } = scripted([rateLimited(17_000), 'ok']);
    const retryer = createRetryer({ run, policy });
    await vi.advanceTimersByTimeAsync(16_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(2);
    await expect(retryer.promise).resolves.toBe('ok');
  });

  it('sends at once when Retry now is pressed during a wait', async () => {
    const { run, calls } = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run, policy: createRetryPolicy({ random: () => 0.99 }) });
    await vi.advanceTimersByTimeAsync(0);
    expect(retryer.getSnapshot().phase).toBe('waiting');
    retryer.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(2);
    await expect(retryer.promise).resolves.toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stops waiting when cancelled and settles with an aborted error', async () => {
    const { run, calls } = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run, policy });
    await vi.advanceTimersByTimeAsync(0);
    retryer.cancel();
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted', retryable: false });
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
    expect(retryer.getSnapshot().phase).toBe('failed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts the attempt in flight when cancelled', async () => {
    const { run, calls } = scripted(['slow answer'], { latencyMs: 10_000 });
    const retryer = createRetryer({ run, policy });
    await vi.advanceTimersByTimeAsync(100);
    expect(retryer.getSnapshot().phase).toBe('sending');
    retryer.cancel();
    expect(calls[0]!.signal.aborted).toBe(true);
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels when the caller’s signal aborts', async () => {
    const controller = new AbortController();
    const { run } = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run, policy, signal: controller.signal });
    await vi.advanceTimersByTimeAsync(0);
    controller.abort();
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('pauses while offline and resumes as soon as the device is back', async () => {
    const online = createOnlineSwitch(false);
    const { run, calls } = scripted(['ok']);
    const retryer = createRetryer({ run, policy, online: online.source });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(0);
    expect(retryer.getSnapshot().phase).toBe('paused');
    online.set(true);
    await vi.advanceTimersByTimeAsync(0);
    await expect(retryer.promise).resolves.toBe('ok');
    expect(online.listeners).toBe(0);
  });

  it('goes to the paused state when the network fails because the device went offline', async () => {
    const online = createOnlineSwitch(true);
    const networkError = new TypeError('Failed to fetch');
    const run = (signal: AbortSignal, attempt: number) => {
      if (attempt === 1) {
        online.set(false);
        return Promise.reject(networkError);
      }
      return Promise.resolve('ok');
    };
    const retryer = createRetryer({ run, policy, online: online.source });
    await vi.advanceTimersByTimeAsync(0);
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'paused', attempt: 1 });
    online.set(true);
    await expect(retryer.promise).resolves.toBe('ok');
  });

  it('gives up with the last failure when the policy’s budget is spent', async () => {
    const { run, calls } = scripted([overloaded()]);
    const retryer = createRetryer({ run, policy: createRetryPolicy({ random: () => 0.5, kinds: { overloaded: { maxAttempts: 3 } } }) });
    await vi.runAllTimersAsync();
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'overloaded' });
    expect(calls).toHaveLength(3);
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'failed', attempt: 3 });
  });

  it('shows the gate’s window as its next attempt time while the gate is closed', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const first = scripted([overloaded(), 'ok']);
    const a = createRetryer({ run: first.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    const reopenAt = gate.getSnapshot().reopenAt!;
    expect(gate.getSnapshot().state).toBe('closed');
    const second = scripted(['ok']);
    const b = createRetryer({ run: second.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getSnapshot()).toMatchObject({ phase: 'waiting', attempt: 0, nextAttemptAt: reopenAt });
    expect(second.calls).toHaveLength(0);
    await vi.runAllTimersAsync();
    await expect(a.promise).resolves.toBe('ok');
    await expect(b.promise).resolves.toBe('ok');
  });

  it('lets Retry now through a closed gate', async () => {
    const gate = createGate();
    const first = scripted([overloaded(), 'ok']);
    createRetryer({ run: first.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    const second = scripted(['ok']);
    const b = createRetryer({ run: second.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    expect(second.calls).toHaveLength(0);
    b.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(second.calls).toHaveLength(1);
    await expect(b.promise).resolves.toBe('ok');
  });

  it('settles at once when cancelled while waiting behind a closed gate', async () => {
    const gate = createGate();
    const first = scripted([overloaded(), 'ok']);
    createRetryer({ run: first.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    const second = scripted(['ok']);
    const b = createRetryer({ run: second.run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    b.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.getSnapshot().phase).toBe('failed');
    await expect(b.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(gate.getSnapshot().waiting).toBe(0);
  });

  it('retries a person’s request at the next free slot, not after a backoff, when background work filled Claude', async () => {
    const gate = createGate({ lanes: priorityLanes(), drainJitterMs: 0 });
    let finishBackground!: (value: string) => void;
    const background = createRetryer({
      run: () => new Promise<string>((resolve) => (finishBackground = resolve)), policy, gate, priority: 'background',
    });
    await vi.advanceTimersByTimeAsync(0);
    const person = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run: person.run, policy: createRetryPolicy({ random: () => 0.99 }), gate });
    await vi.advanceTimersByTimeAsync(0);
    expect(person.calls).toHaveLength(1);
    // It waits for Claude's slot, not for the ~1 s backoff, and tells the screen it may go any moment.
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'waiting', nextAttemptAt: Date.now() });
    await vi.advanceTimersByTimeAsync(200);
    expect(person.calls).toHaveLength(1);
    finishBackground('summary');
    await vi.advanceTimersByTimeAsync(0);
    expect(person.calls).toHaveLength(2);
    await expect(retryer.promise).resolves.toBe('ok');
    await expect(background.promise).resolves.toBe('summary');
  });

  it('keeps its backoff when the gate took the 529 for Anthropic-wide load, so a person never loops on random 529s', async () => {
    const gate = createGate({ lanes: priorityLanes(), drainJitterMs: 0 });
    const finishers: Array<(value: string) => void> = [];
    const background = () => createRetryer({
      run: () => new Promise<string>((resolve) => finishers.push(resolve)), policy, gate, priority: 'background',
    });
    background();
    background();
    await vi.advanceTimersByTimeAsync(0);
    finishers[1]!('summary'); // Claude answered with two on the wire a moment ago: it has room for two
    await vi.advanceTimersByTimeAsync(0);
    const person = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run: person.run, policy: createRetryPolicy({ random: () => 0.99 }), gate });
    await vi.advanceTimersByTimeAsync(0);
    expect(person.calls).toHaveLength(1);
    const wait = retryer.getSnapshot().nextAttemptAt! - Date.now();
    expect(wait).toBeGreaterThan(500);
    finishers[0]!('summary'); // a slot frees, but the person waits out its backoff
    await vi.advanceTimersByTimeAsync(wait - 1);
    expect(person.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(person.calls).toHaveLength(2);
    await expect(retryer.promise).resolves.toBe('ok');
  });

  it('settles at once when cancelled during its own backoff, even with a gate', async () => {
    const gate = createGate();
    const { run, calls } = scripted([overloaded(), 'ok']);
    const retryer = createRetryer({ run, policy, gate });
    await vi.advanceTimersByTimeAsync(0);
    retryer.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(retryer.getSnapshot().phase).toBe('failed');
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
  });
});
