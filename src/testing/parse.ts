/** Reading a Messages request the way the simulator needs it, with Anthropic's wording for what is missing. */
import { lastUserText } from './reply.js';
import type { SimulatedRequest } from './reply.js';
import { isRecord } from '../core/util.js';

export type Parsed = { ok: true; request: SimulatedRequest } | { ok: false; message: string };

/** A request body as a JSON object, or Anthropic's words for why it is not one. */
export function jsonObjectOf(text: string): { ok: true; body: Record<string, unknown> } | { ok: false; message: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, message: 'There was an issue with the request body: it is not valid JSON.' };
  }
  if (!isRecord(body) || Array.isArray(body)) return { ok: false, message: 'The request body must be a JSON object.' };
  return { ok: true, body };
}

/** Checks what Anthropic checks first; the simulator's answers need only these fields. */
export function parseMessagesRequest(text: string): Parsed {
  const json = jsonObjectOf(text);
  if (!json.ok) return json;
  const { body } = json;
  const { model, max_tokens: maxTokens, messages, stream } = body;
  if (typeof model !== 'string' || !model) return { ok: false, message: 'model: Field required' };
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) return { ok: false, message: 'max_tokens: Field required' };
  if (!Array.isArray(messages)) return { ok: false, message: 'messages: Field required' };
  if (messages.length === 0) return { ok: false, message: 'messages: at least one message is required' };
  return { ok: true, request: { model, maxTokens, stream: stream === true, prompt: lastUserText(messages) } };
}

/** The key a request presents, in `x-api-key` or as a bearer token. */
export function presentedKey(request: Request): string | null {
  return request.headers.get('x-api-key') ?? request.headers.get('authorization')?.replace(/^Bearer\s+/i, '') ?? null;
}

