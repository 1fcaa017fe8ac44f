import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetryer } from '../../src/core/retryer.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { createGate } from '../../src/core/gate.js';
import { chainFor } from '../../src/core/fallback.js';
import { modelFallback } from '../../src/features/fallback.js';
import { ClaudeError } from '../../src/core/failure.js';
import { badRequest, overloaded, rateLimited } from './helpers.js';

const policy = createRetryPolicy({ random: () => 0.5 });
const T0 = 1_000_000;

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** An attempt function per model: `busy` models answer 529 (or the given failure), the others answer their name. */
function models(busy: Record<string, ClaudeError | undefined>) {
  const calls: Array<{ model?: string; at: number }> = [];
  const run = async (_signal: AbortSignal, _attempt: number, model?: string) => {
    calls.push({ model, at: Date.now() - T0 });
    const failure = busy[model ?? ''];
    if (failure) throw failure;
    return `answered by ${model}`;
  };
  return { run, calls };
}

const chain = { models: ['big', 'small'], afterMs: 15_000 };
const fallback = modelFallback(chain);

describe('fallback chains', () => {
  it('moves a request to the next model once its model has been overloaded for afterMs, and says which model answered', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const { run, calls } = models({ big: overloaded() });
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback });
    await vi.advanceTimersByTimeAsync(14_999);
    expect(calls.every((c) => c.model === 'big')).toBe(true);
    expect(retryer.getSnapshot().model).toBe('big');
    await vi.advanceTimersByTimeAsync(1);
    await expect(retryer.promise).resolves.toBe('answered by small');
    expect(calls.at(-1)).toEqual({ model: 'small', at: 15_000 });
    expect(retryer.getSnapshot().model).toBe('small');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('moves requests that only waited in the closed window too, at the same moment', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const { run, calls } = models({ big: overloaded() });
    createRetryer({ run, policy, gate, model: 'big', fallback });
    await vi.advanceTimersByTimeAsync(3_000);
    const late = createRetryer({ run, policy, gate, model: 'big', fallback });
    await vi.advanceTimersByTimeAsync(12_000);
    await expect(late.promise).resolves.toBe('answered by small');
    expect(calls.filter((c) => c.model === 'small').map((c) => c.at)).toEqual([15_000, 15_000]);
  });

  it('sends new requests to the first model again once its window reopens', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const busy: Record<string, ClaudeError | undefined> = { big: overloaded() };
    const { run, calls } = models(busy);
    const first = createRetryer({ run, policy, gate, model: 'big', fallback });
    await vi.advanceTimersByTimeAsync(15_000);
    await first.promise;
    busy.big = undefined; // the overload is over
    await vi.advanceTimersByTimeAsync(60_000);
    const later = createRetryer({ run, policy, gate, model: 'big', fallback });
    await expect(later.promise).resolves.toBe('answered by big');
    expect(calls.at(-1)!.model).toBe('big');
  });

  it('moves a rate-limited request too, without waiting out a retry-after longer than afterMs', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const { run, calls } = models({ big: rateLimited(60_000) });
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback });
    await vi.advanceTimersByTimeAsync(15_000);
    await expect(retryer.promise).resolves.toBe('answered by small');
    expect(calls.map((c) => [c.model, c.at])).toEqual([['big', 0], ['small', 15_000]]);
  });

  it('never moves a request for a failure other than overload or rate limit', async () => {
    const gate = createGate();
    const { run, calls } = models({ big: badRequest() });
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, afterMs: 0 }) });
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'invalid_request' });
    const spend = models({ big: new ClaudeError({ kind: 'spend_limited', status: 429, message: 'Spend limit', retryable: false }) });
    await expect(createRetryer({ run: spend.run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, afterMs: 0 }) }).promise).rejects.toMatchObject({ kind: 'spend_limited' });
    expect([...calls, ...spend.calls].map((c) => c.model)).toEqual(['big', 'big']);
  });

  it('in offer mode keeps waiting and offers the next model; accepting sends the next attempt there at once', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const { run, calls } = models({ big: overloaded() });
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, mode: 'offer' }) });
    await vi.advanceTimersByTimeAsync(15_000);
    expect(retryer.getSnapshot().offer).toEqual({ model: 'small', from: 'big' });
    expect(calls.every((c) => c.model === 'big')).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    retryer.acceptOffer();
    await expect(retryer.promise).resolves.toBe('answered by small');
    expect(calls.at(-1)).toEqual({ model: 'small', at: 20_000 });
    expect(retryer.getSnapshot().offer).toBeUndefined();
  });

  it("in offer mode keeps the offer on screen while the handler's line holds the request, and taking it ends the hold at once", async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const calls: Array<{ model?: string; at: number }> = [];
    // The kit's handler holds each attempt at the request's place in its line for 6 s, then answers its 529 with the
    // place (line hints): the request goes straight back to it, and spends most of its time held, 'sending'.
    const run = (signal: AbortSignal, _attempt: number, model?: string) => {
      calls.push({ model, at: Date.now() - T0 });
      if (model === 'small') return Promise.resolve('answered by small');
      return new Promise<string>((_, reject) => {
        const timer = setTimeout(() => reject(new ClaudeError({
          kind: 'overloaded', status: 529, message: 'busy', retryable: true, retryAfterMs: 1_000, line: { ahead: 0, expectedWaitMs: 4_000 },
        })), 6_000);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason ?? new Error('aborted'));
        });
      });
    };
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, mode: 'offer' }) });
    const seen: Array<[string, boolean]> = [];
    retryer.subscribe(() => seen.push([retryer.getSnapshot().phase, retryer.getSnapshot().offer !== undefined]));
    await vi.advanceTimersByTimeAsync(22_000);
    // Offered once the model has been busy for afterMs (15 s), and still there while the request is held again.
    expect(retryer.getSnapshot().phase).toBe('sending');
    expect(retryer.getSnapshot().offer).toEqual({ model: 'small', from: 'big' });
    const firstOffered = seen.findIndex(([, offered]) => offered);
    expect(seen.slice(firstOffered).every(([, offered]) => offered)).toBe(true);
    retryer.acceptOffer();
    await vi.advanceTimersByTimeAsync(0);
    await expect(retryer.promise).resolves.toBe('answered by small');
    // At the click, not when the hold would have ended (24 s).
    expect(calls.at(-1)).toEqual({ model: 'small', at: 22_000 });
    expect(retryer.getSnapshot().offer).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('in offer mode, declining keeps the request on its model with no second offer', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const { run, calls } = models({ big: overloaded() });
    const retryer = createRetryer({ run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, mode: 'offer' }) });
    await vi.advanceTimersByTimeAsync(15_000);
    retryer.declineOffer();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(retryer.getSnapshot().offer).toBeUndefined();
    expect(calls.every((c) => c.model === 'big')).toBe(true);
    retryer.cancel();
    await expect(retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('accepting for the episode sends the other requests waiting on that model to the fallback as well', async () => {
    const gate = createGate({ drainJitterMs: 0 });
    const skipped = new Set<string>();
    const { run } = models({ big: overloaded() });
    const options = { run, policy, gate, model: 'big', fallback: modelFallback({ ...chain, mode: 'offer' }), skipped };
    const first = createRetryer(options);
    await vi.advanceTimersByTimeAsync(15_000);
    first.acceptOffer('episode');
    await expect(first.promise).resolves.toBe('answered by small');
    const next = createRetryer(options);
    await expect(next.promise).resolves.toBe('answered by small');
  });

  it('refuses a chain it cannot follow with a TypeError that names the option', () => {
    expect(() => modelFallback({ models: 'claude-haiku-4-5' as never })).toThrow(/`models` must be a list of model names/);
    expect(() => modelFallback(undefined as never)).toThrow(TypeError);
    expect(() => modelFallback({ models: ['big'], afterMs: Number.NaN })).toThrow(/`afterMs` must be ms ≥ 0/);
    expect(() => modelFallback({ models: ['big'], mode: 'ask' as never })).toThrow(/`mode` 'auto' or 'offer'/);
  });

  it('builds a chain from the request’s model: the models after it, or all of them for another model', () => {
    expect(chainFor('big', chain.models)).toEqual(['big', 'small']);
    expect(chainFor('small', chain.models)).toEqual(['small']);
    expect(chainFor(undefined, chain.models)).toEqual(['big', 'small']);
    expect(chainFor('other', chain.models)).toEqual(['other', 'big', 'small']);
    expect(chainFor(undefined, [])).toEqual(['']);
  });
});

describe('fallback through the client and the demand summary', () => {
  it('sends the next attempt’s body to the fallback model and says so in the answer’s RetryState', async () => {
    const { createClaudeClient } = await import('../../src/core/client.js');
    const { retryStateOf } = await import('../../src/core/retry-state.js');
    const bodies: string[] = [];
    const fetch = async (_url: RequestInfo | URL, init?: RequestInit) => {
      const body = JSON.parse(String(init!.body)) as { model: string };
      bodies.push(body.model);
      if (body.model === 'big') {
        return new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), { status: 529 });
      }
      return Response.json({ id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'hi' }], model: body.model });
    };
    const client = createClaudeClient({ fetch, fallback, policy, gate: { drainJitterMs: 0 } });
    const retryer = client.send({ model: 'big', messages: [{ role: 'user', content: 'hello' }] });
    await vi.advanceTimersByTimeAsync(15_000);
    await expect(retryer.promise).resolves.toMatchObject({ model: 'small' });
    expect(bodies.at(-1)).toBe('small');
    expect(retryStateOf(retryer)).toMatchObject({ phase: 'succeeded', model: 'small', fallbackFrom: 'big' });
    client.dispose();
  });

  it('lets a request opt out of the client’s chain', async () => {
    const { createClaudeClient } = await import('../../src/core/client.js');
    const { run, calls } = models({ big: overloaded() });
    const client = createClaudeClient({ fallback: modelFallback({ ...chain, afterMs: 0 }), policy });
    const retryer = client.run(run, { model: 'big', fallback: false });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.every((c) => c.model === 'big')).toBe(true);
    retryer.cancel();
    client.dispose();
  });
});
