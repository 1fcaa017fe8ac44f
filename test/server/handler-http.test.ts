// The handler mounted on a real Node server (@hono/node-server), its upstream the simulator on another loopback
// port: the path a deployed app takes, sockets included.
import { createAdaptorServer } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { createOverloadSimulator } from '../../src/testing/index.js';
import type { ListeningSimulator } from '../../src/testing/index.js';
import { parseSse, until } from '../testing/helpers.js';
import { API_KEY, post } from './helpers.js';

describe('createClaudeHandler over HTTP', () => {
  const simulator = createOverloadSimulator({ apiKey: API_KEY, serviceTimeMs: 60_000 });
  let upstream: ListeningSimulator;
  let app: ReturnType<typeof createAdaptorServer>;
  let url = '';

  beforeAll(async () => {
    upstream = await simulator.listen();
    // holdMs 0: these tests look at Claude's answers as relayed, not at the line holding a 529.
    const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: upstream.url, holdMs: 0 });
    app = createAdaptorServer({ fetch: handler, overrideGlobalObjects: false, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/claude`;
  });
  afterAll(async () => {
    await new Promise((resolve) => {
      app.close(resolve);
      if ('closeAllConnections' in app) app.closeAllConnections();
    });
    await upstream.close();
  });

  it('relays a 529 with its headers to a browser', async () => {
    simulator.setScript(['529']);
    const response = await fetch(url, post());
    expect(response.status).toBe(529);
    expect(response.headers.get('x-should-retry')).toBe('true');
    expect(await response.json()).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('relays a mid-stream overload as event: error', async () => {
    simulator.configure({ serviceTimeMs: 0 });
    simulator.setScript(['stream-error-midway']);
    const response = await fetch(url, post({ stream: true }));
    expect(parseSse(await response.text()).at(-1)?.event).toBe('error');
    simulator.configure({ serviceTimeMs: 60_000 });
  });

  it('aborts the upstream stream when the browser disconnects mid-answer', async () => {
    simulator.setScript([]);
    const before = simulator.stats().aborted;
    const browser = new AbortController();
    const response = await fetch(url, post({ stream: true }, { signal: browser.signal }));
    const reader = response.body!.getReader();
    await reader.read();
    expect(simulator.stats().inFlight).toBe(1);
    browser.abort();
    await until(() => simulator.stats().aborted === before + 1);
    expect(simulator.stats().inFlight).toBe(0);
  });
});
