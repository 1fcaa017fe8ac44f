import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClaudeClient } from '../../src/core/client.js';
import { ClaudeError } from '../../src/core/failure.js';
import type { RetryPolicy } from '../../src/core/policy.js';
import { overloaded, fakeTimersClock } from './helpers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const clock = fakeTimersClock;

describe('a custom retry policy whose nextDelay throws', () => {
  it('ends the request with the policy’s error as a ClaudeError and gives its slot to the next request', async () => {
    const bug = new Error('policy bug: cannot read properties of undefined');
    const policy: RetryPolicy = { nextDelay: () => { throw bug; } };
    const client = createClaudeClient({ policy, gate: { maxConcurrency: 1 }, clock });
    const first = client.run(async () => { throw overloaded(); });
    const second = client.run(async () => 'answered');
    const failed = expect(first.promise).rejects.toSatisfy((error: unknown) =>
      error instanceof ClaudeError && error.kind === 'unknown' && error.message === bug.message && error.cause === bug);
    await vi.advanceTimersByTimeAsync(0);
    await failed;
    expect(first.getSnapshot()).toMatchObject({ phase: 'failed' });
    // The only slot went back: the request behind it goes at once (the overload closed the model's window, which a
    // fresh request waits out, as after any 529).
    await vi.advanceTimersByTimeAsync(15_000);
    expect(second.getSnapshot().phase).toBe('succeeded');
    await expect(second.promise).resolves.toBe('answered');
    expect(client.gate!.getSnapshot()).toMatchObject({ inFlight: 0, waiting: 0 });
    expect(vi.getTimerCount()).toBe(0);
    client.dispose();
  });
});

describe('a custom retry policy whose nextDelay returns no usable delay', () => {
  it.each([undefined, Number.NaN, -1_000, Number.POSITIVE_INFINITY])(
    'ends the request with a clear error when it returns %s, instead of retrying in a tight loop',
    async (bad) => {
      let calls = 0;
      const policy = { nextDelay: () => bad } as unknown as RetryPolicy;
      const client = createClaudeClient({ policy, clock });
      const request = client.run(async () => {
        calls += 1;
        throw overloaded();
      });
      const failed = expect(request.promise).rejects.toSatisfy((error: unknown) =>
        error instanceof ClaudeError && error.kind === 'unknown' && error.message.includes('nextDelay'));
      await vi.advanceTimersByTimeAsync(1_000);
      await failed;
      expect(calls).toBe(1);
      expect(vi.getTimerCount()).toBe(0);
      client.dispose();
    },
  );
});
