import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOverloadSimulator } from '../../src/testing/index.js';
import type { SimulatorOutcome } from '../../src/testing/index.js';
import { MODEL, OUTCOME_FOR, REQUEST_ID, anthropic, eventShape, messagesRequest, parseSse, streamOverloadedMidway, streamSuccess } from './helpers.js';

const statusesOf = async (simulator: ReturnType<typeof createOverloadSimulator>, count: number, body = {}) => {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 1) statuses.push((await simulator.fetch(messagesRequest(body))).status);
  return statuses;
};

describe('createOverloadSimulator', () => {
  it('answers a Messages request with a Message shaped like the fixture', async () => {
    const response = await createOverloadSimulator().fetch(messagesRequest());
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('request-id')).toMatch(REQUEST_ID);
    expect(Object.keys(body).sort()).toEqual(Object.keys(anthropic.success.body as object).sort());
    expect(body).toMatchObject({ type: 'message', role: 'assistant', model: MODEL, stop_reason: 'end_turn' });
    expect(body.id).toMatch(/^msg_01[1-9A-HJ-NP-Za-km-z]{22}$/);
  });

  it('quotes the prompt in its reply and stops at max_tokens', async () => {
    const simulator = createOverloadSimulator();
    const full = (await (await simulator.fetch(messagesRequest({ messages: [{ role: 'user', content: 'Summarise the plan' }] }))).json()) as {
      content: { text: string }[];
    };
    expect(full.content[0]?.text).toContain('Summarise the plan');
    const short = (await (await simulator.fetch(messagesRequest({ max_tokens: 2 }))).json()) as { stop_reason: string; usage: { output_tokens: number } };
    expect(short).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
  });

  it('plays the script in order, then lets the mode decide', async () => {
    const simulator = createOverloadSimulator({ script: ['529', '529', 'ok'] });
    expect(await statusesOf(simulator, 4)).toEqual([529, 529, 200, 200]);
    simulator.setScript(['429']);
    expect(await statusesOf(simulator, 2)).toEqual([429, 200]);
  });

  it.each(anthropic.errors)('answers the $name outcome with the status, headers and body Anthropic sends', async (fixture) => {
    const simulator = createOverloadSimulator({ script: [OUTCOME_FOR[fixture.name] as SimulatorOutcome] });
    const response = await simulator.fetch(messagesRequest());
    const body = (await response.json()) as { request_id: string };
    const requestId = response.headers.get('request-id') ?? '';
    expect(response.status).toBe(fixture.status);
    expect([...response.headers.keys()].sort()).toEqual(Object.keys(fixture.headers).sort());
    for (const [name, value] of Object.entries(fixture.headers)) {
      if (name === 'request-id' || name.endsWith('-reset')) continue;
      expect(response.headers.get(name), name).toBe(value);
    }
    expect(requestId).toMatch(REQUEST_ID);
    expect(body).toEqual({ ...(fixture.body as object), request_id: requestId });
  });

  it.each(anthropic.proxy_pages)('answers the $name outcome byte for byte like the fixture', async (fixture) => {
    const simulator = createOverloadSimulator({ script: [OUTCOME_FOR[fixture.name] as SimulatorOutcome] });
    const response = await simulator.fetch(messagesRequest());
    expect(response.status).toBe(fixture.status);
    expect(response.headers.get('content-type')).toBe(fixture.headers['content-type'] ?? null);
    expect(await response.text()).toBe(fixture.body);
  });

  it('streams the same events in the same order as the fixture', async () => {
    const response = await createOverloadSimulator().fetch(messagesRequest({ stream: true }));
    const events = parseSse(await response.text());
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(eventShape(events)).toEqual(eventShape(parseSse(streamSuccess)));
    expect(events.find((e) => e.event === 'ping')?.data).toBe('{"type": "ping"}');
    const text = events
      .filter((e) => e.event === 'content_block_delta')
      .map((e) => (JSON.parse(e.data) as { delta: { text: string } }).delta.text)
      .join('');
    expect(text).toContain('Hello there');
  });

  it('breaks a stream midway with the error event Anthropic sends', async () => {
    const simulator = createOverloadSimulator({ script: ['stream-error-midway'] });
    const events = parseSse(await (await simulator.fetch(messagesRequest({ stream: true }))).text());
    const fixtureEvents = parseSse(streamOverloadedMidway);
    expect(events.at(-1)).toEqual(fixtureEvents.at(-1));
    expect(events.map((e) => e.event)).toContain('content_block_delta');
    expect(events.map((e) => e.event)).not.toContain('message_stop');
  });

  it('ends a cut stream after part of the answer without message_stop', async () => {
    const simulator = createOverloadSimulator({ script: ['stream-cut'] });
    const events = parseSse(await (await simulator.fetch(messagesRequest({ stream: true }))).text());
    expect(events.at(-1)?.event).toBe('content_block_delta');
    expect(events.map((e) => e.event)).not.toContain('error');
  });

  it('gives a non-streaming request the whole answer when its outcome is a broken stream', async () => {
    const simulator = createOverloadSimulator({ mode: 'broken-streams' });
    expect(await statusesOf(simulator, 1)).toEqual([200]);
  });

  it('answers every request 529 in an outage and 429 with retry-after when rate-limited', async () => {
    const simulator = createOverloadSimulator({ mode: 'outage' });
    expect(await statusesOf(simulator, 3)).toEqual([529, 529, 529]);
    simulator.setMode('rate-limited');
    const response = await simulator.fetch(messagesRequest());
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('17');
    simulator.setMode('normal');
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    expect(simulator.mode).toBe('normal');
  });

  it('answers about busyRate of the requests 529 when busy', async () => {
    const simulator = createOverloadSimulator({ mode: 'busy', busyRate: 0.3, seed: 7 });
    const statuses = await statusesOf(simulator, 200);
    const overloaded = statuses.filter((s) => s === 529).length;
    expect(overloaded).toBeGreaterThan(40);
    expect(overloaded).toBeLessThan(80);
    expect(simulator.stats().byStatus).toEqual({ 200: 200 - overloaded, 529: overloaded });
  });

  it('gives the same request ids and outcomes for the same seed, and other ids for another seed', async () => {
    const run = async (seed: number) => {
      const simulator = createOverloadSimulator({ mode: 'busy', seed });
      const seen: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        const response = await simulator.fetch(messagesRequest());
        seen.push(`${response.status} ${response.headers.get('request-id')}`);
      }
      return seen;
    };
    expect(await run(42)).toEqual(await run(42));
    expect(await run(43)).not.toEqual(await run(42));
  });

  it('starts over from its options after reset', async () => {
    const simulator = createOverloadSimulator({ script: ['529'], seed: 3 });
    const first = await simulator.fetch(messagesRequest());
    simulator.setMode('outage');
    simulator.reset();
    const again = await simulator.fetch(messagesRequest());
    expect(again.status).toBe(529);
    expect(again.headers.get('request-id')).toBe(first.headers.get('request-id'));
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    expect(simulator.stats()).toMatchObject({ requests: 2, byStatus: { 200: 1, 529: 1 } });
  });

  it('answers 400 in Anthropic shape for a body without messages, and 404 off the Messages path', async () => {
    const simulator = createOverloadSimulator();
    const bad = await simulator.fetch(messagesRequest({ messages: [] }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: at least one message is required' } });
    const missing = await simulator.fetch('http://simulator.test/v1/models', { method: 'POST' });
    expect(missing.status).toBe(404);
  });

  it('answers 401 when a key is required and the request carries another', async () => {
    const simulator = createOverloadSimulator({ apiKey: 'sk-right' });
    const wrong = await simulator.fetch(messagesRequest({}, { headers: { 'content-type': 'application/json', 'x-api-key': 'sk-wrong' } }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('sk-wrong');
    const right = await simulator.fetch(messagesRequest({}, { headers: { 'content-type': 'application/json', 'x-api-key': 'sk-right' } }));
    expect(right.status).toBe(200);
  });

  it('drops the connection for a network-error outcome, as fetch does', async () => {
    const simulator = createOverloadSimulator({ script: ['network-error'] });
    await expect(simulator.fetch(messagesRequest())).rejects.toThrow(TypeError);
    expect(simulator.stats()).toMatchObject({ connectionErrors: 1, inFlight: 0 });
  });
});

describe('createOverloadSimulator over time', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers 529 at once to the request above capacity, and serves again once a slot frees', async () => {
    const simulator = createOverloadSimulator({ capacity: 2, serviceTimeMs: 1000 });
    const first = simulator.fetch(messagesRequest());
    const second = simulator.fetch(messagesRequest());
    const third = await simulator.fetch(messagesRequest());
    expect(third.status).toBe(529);
    expect(simulator.stats()).toMatchObject({ inFlight: 2, maxInFlight: 3 });
    await vi.advanceTimersByTimeAsync(1000);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    expect(simulator.stats().inFlight).toBe(0);
    const fourth = simulator.fetch(messagesRequest());
    await vi.advanceTimersByTimeAsync(1000);
    expect((await fourth).status).toBe(200);
  });

  it('holds a streaming slot until the last event is sent', async () => {
    const simulator = createOverloadSimulator({ capacity: 1, serviceTimeMs: 900 });
    const stream = await simulator.fetch(messagesRequest({ stream: true }));
    const text = stream.text();
    expect((await simulator.fetch(messagesRequest())).status).toBe(529);
    await vi.advanceTimersByTimeAsync(900);
    expect(parseSse(await text).at(-1)?.event).toBe('message_stop');
    expect(simulator.stats().inFlight).toBe(0);
  });

  it('waits latencyMs before any answer', async () => {
    const simulator = createOverloadSimulator({ latencyMs: 250, script: ['529'] });
    let status = 0;
    void simulator.fetch(messagesRequest()).then((r) => (status = r.status));
    await vi.advanceTimersByTimeAsync(249);
    expect(status).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(status).toBe(529);
  });

  it('hangs a timeout outcome until the caller aborts, and counts the abort', async () => {
    const simulator = createOverloadSimulator({ script: ['timeout'] });
    const controller = new AbortController();
    const pending = simulator.fetch(messagesRequest({}, { signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(600_000);
    expect(simulator.stats()).toMatchObject({ inFlight: 1, aborted: 0 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(simulator.stats()).toMatchObject({ inFlight: 0, aborted: 1 });
  });

  it('stops a stream whose caller aborts, frees its slot and counts the abort', async () => {
    const simulator = createOverloadSimulator({ capacity: 1, serviceTimeMs: 1000 });
    const controller = new AbortController();
    const response = await simulator.fetch(messagesRequest({ stream: true }, { signal: controller.signal }));
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    controller.abort();
    await expect(reader.read()).rejects.toBeDefined();
    expect(simulator.stats()).toMatchObject({ inFlight: 0, aborted: 1 });
    expect(vi.getTimerCount()).toBe(0);
    expect((await simulator.fetch(messagesRequest({ stream: true }))).status).toBe(200);
  });
});

describe('createOverloadSimulator with models', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('overloads one model while another has room', async () => {
    const simulator = createOverloadSimulator({
      serviceTimeMs: 1000,
      models: { 'claude-big': { capacity: 1 }, 'claude-small': { capacity: 5, serviceTimeMs: 200 } },
    });
    const big = simulator.fetch(messagesRequest({ model: 'claude-big' }));
    expect((await simulator.fetch(messagesRequest({ model: 'claude-big' }))).status).toBe(529);
    const small = [1, 2, 3].map(() => simulator.fetch(messagesRequest({ model: 'claude-small' })));
    await vi.advanceTimersByTimeAsync(200);
    expect(await Promise.all(small.map(async (r) => (await r).status))).toEqual([200, 200, 200]);
    await vi.advanceTimersByTimeAsync(800);
    expect((await big).status).toBe(200);
  });

  it('changes a model’s capacity while running, for the playground’s load control', async () => {
    const simulator = createOverloadSimulator({ serviceTimeMs: 1000, models: { 'claude-big': { capacity: 1 } } });
    simulator.configure({ models: { 'claude-big': { capacity: 0 } } });
    expect((await simulator.fetch(messagesRequest({ model: 'claude-big' }))).status).toBe(529);
    // Models not listed share the simulator-wide slots (unbounded here).
    const other = simulator.fetch(messagesRequest({ model: 'claude-other' }));
    await vi.advanceTimersByTimeAsync(1000);
    expect((await other).status).toBe(200);
  });
});

describe('createOverloadSimulator refuses options its mode never reads', () => {
  it('names busyRate without busy mode, and the modes that read it', () => {
    // The old quick start's options: every request answered 200, and no banner ever.
    expect(() => createOverloadSimulator({ busyRate: 0.5, latencyMs: 300 })).toThrow(TypeError);
    expect(() => createOverloadSimulator({ busyRate: 0.5 })).toThrow(/busyRate .*mode is 'normal' \(the default\).*mode: 'busy'.*mode: 'episodes'/);
    expect(() => createOverloadSimulator({ mode: 'outage', busyRate: 0.5 })).toThrow(/mode is 'outage'/);
    expect(createOverloadSimulator({ mode: 'busy', busyRate: 0.5 }).mode).toBe('busy');
  });

  it('names the episode timings outside episodes, and retryAfterSeconds outside rate-limited', () => {
    expect(() => createOverloadSimulator({ mode: 'busy', busyMs: 10_000 })).toThrow(/busyMs .*mode: 'episodes'/);
    expect(() => createOverloadSimulator({ busyAfterMs: 1_000 })).toThrow(/busyAfterMs/);
    expect(() => createOverloadSimulator({ mode: 'outage', busyEveryMs: 1_000 })).toThrow(/busyEveryMs/);
    expect(() => createOverloadSimulator({ retryAfterSeconds: 3 })).toThrow(/retryAfterSeconds .*mode: 'rate-limited'/);
    expect(createOverloadSimulator({ script: ['429'], retryAfterSeconds: 3 }).mode).toBe('normal');
    expect(createOverloadSimulator({ mode: 'episodes', busyAfterMs: 0, busyMs: 1, busyEveryMs: Infinity }).mode).toBe('episodes');
  });

  it('refuses an unknown mode and values out of range', () => {
    expect(() => createOverloadSimulator({ mode: 'overloaded' as never })).toThrow(/mode 'overloaded' is not a mode; use one of normal, busy, episodes/);
    expect(() => createOverloadSimulator({ mode: 'busy', busyRate: 50 })).toThrow(RangeError);
    expect(() => createOverloadSimulator({ mode: 'episodes', busyMs: -1 })).toThrow(RangeError);
    // Busy spells back to back: Claude would never recover.
    expect(() => createOverloadSimulator({ mode: 'episodes', busyMs: 20_000, busyEveryMs: 20_000 })).toThrow(/never recover/);
    expect(() => createOverloadSimulator({ mode: 'busy', busyRate: Number.NaN })).toThrow(TypeError);
  });

  it('takes them through configure, ahead of a later switch of mode (the playground’s load control)', async () => {
    const simulator = createOverloadSimulator();
    simulator.configure({ busyRate: 1 });
    expect(await statusesOf(simulator, 2)).toEqual([200, 200]);
    simulator.setMode('busy');
    expect(await statusesOf(simulator, 2)).toEqual([529, 529]);
  });
});

describe('createOverloadSimulator in episodes mode', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers until busyAfterMs from the first request, turns everything away for busyMs, then answers again', async () => {
    const simulator = createOverloadSimulator({ mode: 'episodes', busyAfterMs: 3_000, busyMs: 15_000, busyEveryMs: 40_000 });
    // Nobody asks for a minute: the spells count from the first request, so it is answered.
    await vi.advanceTimersByTimeAsync(60_000);
    expect(await statusesOf(simulator, 2)).toEqual([200, 200]);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await statusesOf(simulator, 3)).toEqual([529, 529, 529]);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(await statusesOf(simulator, 1)).toEqual([529]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    // And again, busyEveryMs after the first spell started.
    await vi.advanceTimersByTimeAsync(24_999);
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await statusesOf(simulator, 1)).toEqual([529]);
  });

  it('has one spell only with busyEveryMs: Infinity', async () => {
    const simulator = createOverloadSimulator({ mode: 'episodes', busyAfterMs: 0, busyMs: 1_000, busyEveryMs: Infinity });
    expect(await statusesOf(simulator, 1)).toEqual([529]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(await statusesOf(simulator, 1)).toEqual([200]);
  });

  it('counts from the first request after a switch into episodes, as the playground makes it', async () => {
    const simulator = createOverloadSimulator();
    await statusesOf(simulator, 1);
    await vi.advanceTimersByTimeAsync(120_000);
    simulator.setMode('episodes');
    // Two minutes after the simulator's first request, but the first in this mode: answered, and busy 3 s later.
    expect(await statusesOf(simulator, 1)).toEqual([200]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await statusesOf(simulator, 1)).toEqual([529]);
    // Setting the mode it already has changes nothing.
    simulator.configure({ mode: 'episodes' });
    expect(await statusesOf(simulator, 1)).toEqual([529]);
  });

  it('counts from the first request again after reset', async () => {
    const simulator = createOverloadSimulator({ mode: 'episodes', busyAfterMs: 1_000, busyMs: 5_000 });
    await statusesOf(simulator, 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await statusesOf(simulator, 1)).toEqual([529]);
    simulator.reset();
    expect(await statusesOf(simulator, 1)).toEqual([200]);
  });
});

describe('createOverloadSimulator answers count_tokens', () => {
  const countRequest = (body: Record<string, unknown>) =>
    new Request('http://simulator.test/v1/messages/count_tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, ...body }),
    });

  it('counts more tokens for a longer prompt, the same for the same request', async () => {
    const simulator = createOverloadSimulator();
    const count = async (content: string) => {
      const response = await simulator.fetch(countRequest({ messages: [{ role: 'user', content }] }));
      expect(response.status).toBe(200);
      expect(response.headers.get('request-id')).toMatch(REQUEST_ID);
      return ((await response.json()) as { input_tokens: number }).input_tokens;
    };
    const short = await count('Hi');
    expect(short).toBeGreaterThan(0);
    expect(await count('Hi')).toBe(short);
    expect(await count('A much longer prompt about the plan for the quarter, in detail.')).toBeGreaterThan(short);
  });

  it('answers whatever the mode and the script, without taking a scripted outcome', async () => {
    const simulator = createOverloadSimulator({ mode: 'outage', script: ['ok'] });
    const counted = await simulator.fetch(countRequest({ messages: [{ role: 'user', content: 'Hello' }] }));
    expect(counted.status).toBe(200);
    expect(await statusesOf(simulator, 2)).toEqual([200, 529]);
  });

  it('answers 400 in Anthropic shape without messages, and 401 without the required key', async () => {
    const bad = await createOverloadSimulator().fetch(countRequest({}));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: Field required' } });
    const locked = await createOverloadSimulator({ apiKey: 'sk-right' }).fetch(countRequest({ messages: [{ role: 'user', content: 'Hi' }] }));
    expect(locked.status).toBe(401);
  });
});
