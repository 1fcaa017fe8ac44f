import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDemandStore } from '../../src/core/demand.js';
import { createRetryer } from '../../src/core/retryer.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { ClaudeError } from '../../src/core/failure.js';
import { escalation } from '../../src/core/escalation.js';
import { setIncident, statusWatch } from '../../src/core/incident-watch.js';
import { createOnlineSwitch, overloaded, rateLimited, scripted, withFeatures } from './helpers.js';

const policy = createRetryPolicy({ random: () => 0.5 });
const MINUTE = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

function start<T>(store: ReturnType<typeof createDemandStore>, outcomes: Array<T | Error>, online?: ReturnType<typeof createOnlineSwitch>) {
  const script = scripted(outcomes);
  const retryer = createRetryer({ run: script.run, policy, online: online?.source });
  store.track(retryer as never);
  return { retryer, calls: script.calls };
}

describe('createDemandStore', () => {
  it('is normal while requests succeed at the first attempt', async () => {
    const store = createDemandStore();
    const { retryer } = start(store, ['ok']);
    await retryer.promise;
    expect(store.getSnapshot()).toMatchObject({ level: 'normal', escalation: 'none', waiting: 0 });
  });

  it('says busy during an overload, with the episode start, the next retry time and the request id', async () => {
    const store = createDemandStore();
    const { retryer } = start(store, [overloaded({ requestId: 'req_1' }), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    const snapshot = store.getSnapshot();
    expect(snapshot).toMatchObject({ level: 'busy', since: 0, waiting: 1, lastRequestId: 'req_1', lastFailureKind: 'overloaded' });
    expect(snapshot.nextAttemptAt).toBe(retryer.getSnapshot().nextAttemptAt);
    await vi.runAllTimersAsync();
    expect(store.getSnapshot().level).toBe('normal');
    expect(store.getSnapshot().since).toBeUndefined();
  });

  it('says rate_limited while a request waits out a 429', async () => {
    const store = createDemandStore();
    start(store, [rateLimited(20_000), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('rate_limited');
  });

  it('keeps saying rate_limited while the rate-limited request is sent again, not busy for the attempt', async () => {
    const store = createDemandStore();
    // The retry after the 429's 20 s is held 3 s (a handler holding rate limits, a slow upstream) before its answer.
    let release: (value: string) => void = () => {};
    const run = vi.fn()
      .mockRejectedValueOnce(rateLimited(20_000))
      .mockImplementationOnce(() => new Promise<string>((resolve) => (release = resolve)));
    const retryer = createRetryer({ run, policy });
    store.track(retryer as never);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('rate_limited');
    await vi.advanceTimersByTimeAsync(21_000);
    expect(retryer.getSnapshot().phase).toBe('sending');
    expect(store.getSnapshot().level).toBe('rate_limited');
    release('ok');
    await retryer.promise;
    expect(store.getSnapshot().level).toBe('normal');
  });

  it('says offline while the device is offline, and back to normal after', async () => {
    const online = createOnlineSwitch(false);
    const store = createDemandStore({ online: online.source });
    const { retryer } = start(store, ['ok'], online);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('offline');
    online.set(true);
    await retryer.promise;
    expect(store.getSnapshot().level).toBe('normal');
  });

  it('says unavailable after giving up, until dismissed', async () => {
    const store = createDemandStore();
    const script = scripted([overloaded()]);
    const retryer = createRetryer({ run: script.run, policy: createRetryPolicy({ random: () => 0.5, maxAttempts: 2 }) });
    store.track(retryer as never);
    await vi.runAllTimersAsync();
    await expect(retryer.promise).rejects.toBeInstanceOf(ClaudeError);
    expect(store.getSnapshot()).toMatchObject({ level: 'unavailable', lastFailureKind: 'overloaded' });
    store.dismiss();
    expect(store.getSnapshot().level).toBe('normal');
  });

  it('reports a spend limit as unavailable, since no retry will help', async () => {
    const store = createDemandStore();
    const spend = new ClaudeError({ kind: 'spend_limited', status: 429, message: 'limit', retryable: false });
    const { retryer } = start(store, [spend]);
    await expect(retryer.promise).rejects.toBe(spend);
    expect(store.getSnapshot()).toMatchObject({ level: 'unavailable', lastFailureKind: 'spend_limited' });
  });

  it('escalates slow at 30 s, unusual at 30 min and contact at 60 min, firing each stage once with the request ids', async () => {
    const onEscalate = vi.fn();
    const store = withFeatures(createDemandStore(), [escalation({ onEscalate })]);
    const script = scripted([overloaded({ requestId: 'req_a' }), overloaded({ requestId: 'req_b' })]);
    const patient = createRetryPolicy({ random: () => 0.5, maxAttempts: 1_000, maxWaitMs: 2 * 60 * MINUTE });
    store.track(createRetryer({ run: script.run, policy: patient }) as never);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(store.getSnapshot().escalation).toBe('none');
    await vi.advanceTimersByTimeAsync(1);
    expect(store.getSnapshot().escalation).toBe('slow');
    expect(onEscalate).toHaveBeenCalledTimes(1);
    expect(onEscalate).toHaveBeenLastCalledWith('slow', expect.objectContaining({ since: 0, requestIds: ['req_a', 'req_b'] }));
    // Retries keep coming in the meantime; none of them may fire a later stage early.
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(onEscalate.mock.calls.map(([stage]) => stage)).toEqual(['slow']);
    await vi.advanceTimersByTimeAsync(20 * MINUTE - 30_000);
    expect(store.getSnapshot().escalation).toBe('unusual');
    await vi.advanceTimersByTimeAsync(30 * MINUTE);
    expect(store.getSnapshot().escalation).toBe('contact');
    expect(onEscalate.mock.calls.map(([stage]) => stage)).toEqual(['slow', 'unusual', 'contact']);
    store.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stays at escalation none through a long episode without the escalation feature, with no timer of its own', async () => {
    const store = createDemandStore();
    const script = scripted([overloaded(), overloaded()]);
    const patient = createRetryPolicy({ random: () => 0.5, maxAttempts: 1_000, maxWaitMs: 2 * 60 * MINUTE });
    const retryer = createRetryer({ run: script.run, policy: patient });
    store.track(retryer as never);
    await vi.advanceTimersByTimeAsync(61 * MINUTE);
    expect(store.getSnapshot()).toMatchObject({ level: 'busy', escalation: 'none' });
    // The retryer's own wait is the only timer: the summary arms none for stages it does not know.
    expect(vi.getTimerCount()).toBe(1);
    store.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses to show an incident on a summary without the status feature, saying which feature to add', () => {
    const store = createDemandStore();
    expect(() => setIncident(store, { name: 'Elevated errors', status: 'identified', impact: 'major' })).toThrow(/statusWatch\(\)/);
    expect(store.getSnapshot().level).toBe('normal');
  });

  it('starts a fresh episode after a return to normal', async () => {
    const onEscalate = vi.fn();
    const store = withFeatures(createDemandStore(), [escalation({ onEscalate, slowMs: 5_000 })]);
    const first = start(store, [overloaded(), overloaded(), overloaded(), overloaded(), 'ok']);
    await vi.runAllTimersAsync();
    await first.retryer.promise;
    expect(store.getSnapshot().level).toBe('normal');
    const startOfSecond = Date.now();
    start(store, [overloaded(), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().since).toBe(startOfSecond);
  });

  it('sends every waiting request on retryNow and cancels them on cancel', async () => {
    const store = createDemandStore();
    const a = start(store, [overloaded(), 'ok']);
    const b = start(store, [overloaded(), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().waiting).toBe(2);
    store.retryNow();
    await vi.advanceTimersByTimeAsync(0);
    expect([a.calls.length, b.calls.length]).toEqual([2, 2]);

    const c = start(store, [overloaded(), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    store.cancel();
    await expect(c.retryer.promise).rejects.toMatchObject({ kind: 'aborted' });
    expect(store.getSnapshot().level).toBe('normal');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says incident while the status page reports one, and keeps it in the snapshot', () => {
    const store = withFeatures(createDemandStore(), [statusWatch()]);
    const incident = { name: 'Elevated errors on Claude Sonnet', status: 'identified', impact: 'major' };
    setIncident(store, incident);
    expect(store.getSnapshot()).toMatchObject({ level: 'incident', incident });
    setIncident(store, undefined);
    expect(store.getSnapshot().level).toBe('normal');
  });

  it('notifies subscribers only when the summary changes', async () => {
    const store = createDemandStore();
    const listener = vi.fn();
    store.subscribe(listener);
    const { retryer } = start(store, ['ok']);
    await retryer.promise;
    const before = listener.mock.calls.length;
    store.dismiss();
    expect(listener.mock.calls.length).toBe(before);
  });

  it('leaves the busy state as soon as a retried stream starts answering', async () => {
    const store = createDemandStore();
    let finish: (value: string) => void = () => {};
    const run = (_signal: AbortSignal, attempt: number) =>
      attempt === 1 ? Promise.reject(overloaded()) : new Promise<string>((resolve) => (finish = resolve));
    const retryer = createRetryer({ run, policy });
    store.track(retryer as never);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('busy');
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(store.getSnapshot()).toMatchObject({ level: 'busy', retrying: true });
    retryer.markResponding();
    expect(store.getSnapshot().level).toBe('normal');
    finish('done');
    await expect(retryer.promise).resolves.toBe('done');
  });

  it('marks a return to normal as recovered only when Claude answered, not after a cancel', async () => {
    const store = createDemandStore();
    const answered = start(store, [overloaded(), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('busy');
    await vi.runAllTimersAsync();
    await answered.retryer.promise;
    expect(store.getSnapshot()).toMatchObject({ level: 'normal', recovered: true });

    const stopped = start(store, [overloaded(), 'ok']);
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('busy');
    stopped.retryer.cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().level).toBe('normal');
    expect(store.getSnapshot().recovered).toBeUndefined();
  });

  it('keeps a request that waited behind the gate in the episode while it goes out as the probe', async () => {
    const store = createDemandStore();
    let answer: (value: string) => void = () => {};
    const retryer = createRetryer({
      run: (_signal, attempt) => (attempt === 1 ? Promise.reject(overloaded()) : new Promise<string>((resolve) => (answer = resolve))),
      policy,
    });
    store.track(retryer as never);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(retryer.getSnapshot().nextAttemptAt! - Date.now());
    expect(retryer.getSnapshot()).toMatchObject({ phase: 'sending', waited: true });
    expect(store.getSnapshot()).toMatchObject({ level: 'busy', retrying: true });
    answer('ok');
    await retryer.promise;
    expect(store.getSnapshot()).toMatchObject({ level: 'normal', recovered: true });
  });
});
