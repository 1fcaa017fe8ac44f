// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { advance, ask, endpoint, openSse, renderKit, settle, SUCCESS_SSE, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();

describe('useClaudeStream while the gate queues it', () => {
  it('says sending, not idle, while its request waits in the gate for a free slot', async () => {
    const first = openSse();
    const second = openSse();
    const api = endpoint((n) => (n === 1 ? first.response : second.response));
    // One slot: the second answer waits in the tab's gate until the first is done, as after an overload halved it.
    const { result } = renderKit(() => ({ a: useClaudeStream(), b: useClaudeStream() }), { gate: { maxConcurrency: 1 } });
    result.current.a.send(ask('first'));
    await settle();
    result.current.b.send(ask('second'));
    await settle();
    expect(api.count).toBe(1);
    expect(result.current.b.status).toBe('sending');

    first.push(SUCCESS_SSE);
    first.close();
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.b.status).toBe('sending');
    second.push(SUCCESS_SSE);
    second.close();
    await settle();
    expect(result.current.b.status).toBe('done');
  });
});

/** The handler's 529 for a request it kept in its line: the place and the expected turn, as the kit transport gets it. */
const inLine = (expectedWaitMs: number) =>
  new Response(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_kit_1' }), {
    status: 529,
    headers: {
      'content-type': 'application/json', 'x-should-retry': 'true', 'retry-after': '1',
      'x-claude-kit-ticket': 't', 'x-claude-kit-line-ahead': '4', 'x-claude-kit-expected-wait-ms': String(expectedWaitMs),
    },
  });

describe("useClaudeStream while the handler's line keeps its place", () => {
  it('says waiting, with the same turn, all through its returns to the line, not sending and waiting in turn', async () => {
    const held = openSse();
    // Claude turns it away and the line names its turn 10 s away; its return is held at the handler until then.
    const api = endpoint((n) => (n === 1 ? inLine(10_000) : held.response));
    const { result } = renderKit(() => useClaudeStream());
    result.current.send(ask('in line'));
    await settle();
    expect(result.current.status).toBe('waiting');
    const turn = result.current.retry.nextAttemptAt;
    expect(turn).toBe(Date.now() + 10_000);

    // Back at its place (the request on the wire, the line holding it): still waiting for the same turn.
    await advance(1_000);
    await settle();
    expect(api.count).toBe(2);
    expect(result.current.status).toBe('waiting');
    expect(result.current.retry.nextAttemptAt).toBe(turn);

    // Its turn: Claude answers.
    held.push(SUCCESS_SSE);
    held.close();
    await settle();
    expect(result.current.status).toBe('done');
  });
});
