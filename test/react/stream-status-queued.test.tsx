// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { ask, endpoint, openSse, renderKit, settle, SUCCESS_SSE, useKitTestEnvironment } from './helpers.js';

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
