// Shared by the simulator and handler tests: the fixtures, and small readers for SSE and error bodies.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8');

export interface FixtureResponse {
  name: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export const anthropic = JSON.parse(fixture('anthropic-responses.json')) as {
  success: FixtureResponse;
  errors: FixtureResponse[];
  proxy_pages: FixtureResponse[];
};
export const streamSuccess = fixture('stream-success.sse');
export const streamOverloadedMidway = fixture('stream-overloaded-midway.sse');

/** The simulator outcome that answers like each fixture error. */
export const OUTCOME_FOR: Record<string, string> = {
  overloaded: '529',
  rate_limited: '429',
  spend_limited: 'spend-limit',
  invalid_request: '400',
  authentication: '401',
  billing: '402',
  permission: '403',
  not_found: '404',
  conflict: '409',
  request_too_large: '413',
  api_error: '500',
  timeout: '504',
  bad_gateway_html: '502-html',
  service_unavailable_html: '503-html',
  empty_529: 'empty-529',
};

/** A `fetch` that answers every call with the fixture response, as Anthropic would. */
export function fixtureFetch(response: FixtureResponse): (input: unknown, init?: RequestInit) => Promise<Response> {
  return async () =>
    new Response(typeof response.body === 'string' ? response.body || null : JSON.stringify(response.body), {
      status: response.status,
      headers: response.headers,
    });
}

export interface SseEvent {
  event: string;
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      return {
        event: lines.find((line) => line.startsWith('event: '))?.slice(7) ?? '',
        data: lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n'),
      };
    });
}

/** Event names with runs of deltas folded into one, to compare a stream's shape with a fixture's. */
export function eventShape(events: SseEvent[]): string[] {
  return events.map((e) => e.event).filter((name, i, all) => !(name === 'content_block_delta' && all[i - 1] === name));
}

// A current model: the SDK warns on the console about deprecated ones.
export const MODEL = 'claude-sonnet-5-5';

export const REQUEST_ID = /^req_011CT[1-9A-HJ-NP-Za-km-z]{19}$/;

export function messagesRequest(body: Record<string, unknown> = {}, init: RequestInit = {}): Request {
  return new Request('http://simulator.test/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hello there' }],
      ...body,
    }),
    ...init,
  });
}

/** Polls on the event loop (setImmediate, not timers): lets in-process and loopback work settle without sleeping. */
export async function until(condition: () => boolean, turns = 10_000): Promise<void> {
  for (let i = 0; i < turns; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}
