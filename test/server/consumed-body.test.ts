// A body parser mounted before the handler (Express's express.json(), say) reads the request body first; the
// handler then gets none. That is the app's server setup, not the client's mistake: the server log says which
// middleware to move, and the browser hears "not set up", not "your request body is empty".
import { getRequestListener } from '@hono/node-server';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createClaudeHandler } from '../../src/server/index.js';
import { createOverloadSimulator } from '../../src/testing/index.js';

/** What a body parser does: reads the whole body before the next middleware runs. */
const readWhole = (req: IncomingMessage) =>
  new Promise<void>((resolve) => {
    req.on('data', () => {});
    req.on('end', resolve);
  });

describe('createClaudeHandler behind a middleware that read the body', () => {
  const logger = { warn: vi.fn(), error: vi.fn(), info: vi.fn() };
  const simulator = createOverloadSimulator();
  const handler = createClaudeHandler({ fetch: simulator.fetch, holdMs: 0, logger });
  const listener = getRequestListener(handler);
  const server = createServer(async (req, res) => {
    if (req.url?.startsWith('/parsed')) await readWhole(req);
    void listener(req, res);
  });
  let origin = '';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const ask = (path: string) =>
    fetch(origin + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }),
    });

  it('names the cause: a 500 not_configured for the browser, the body parser in the server log', async () => {
    const response = await ask('/parsed/api/claude');
    expect(response.status).toBe(500);
    expect(response.headers.get('x-claude-kit-error')).toBe('not_configured');
    expect(response.headers.get('x-should-retry')).toBe('false');
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/request body was read before the handler/);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(String(logger.warn.mock.calls[0]![0])).toMatch(/body parser mounted before the handler.*express\.json\(\)/);
    expect(simulator.stats().requests).toBe(0);
  });

  it('answers the same request when nothing read its body first', async () => {
    const response = await ask('/api/claude');
    expect(response.status).toBe(200);
  });

  it('still calls a body that was really sent empty the client’s mistake', async () => {
    const response = await fetch(`${origin}/api/claude`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/The request body is empty/);
  });
});
