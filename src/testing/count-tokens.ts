/**
 * `POST /v1/messages/count_tokens`: Anthropic answers `{ "input_tokens": n }` for a Messages request without
 * `max_tokens`. The simulator has no tokenizer; it counts a token per four characters of what Claude would read
 * (system, messages, tools), as rough as the canned replies, and the same every time for the same request.
 */
import { jsonObjectOf } from './parse.js';

const CHARS_PER_TOKEN = 4;

export type CountedTokens = { ok: true; inputTokens: number } | { ok: false; message: string };

export function countTokens(text: string): CountedTokens {
  const json = jsonObjectOf(text);
  if (!json.ok) return json;
  const { model, messages, system, tools } = json.body;
  if (typeof model !== 'string' || !model) return { ok: false, message: 'model: Field required' };
  if (!Array.isArray(messages)) return { ok: false, message: 'messages: Field required' };
  if (messages.length === 0) return { ok: false, message: 'messages: at least one message is required' };
  const read = JSON.stringify([system ?? null, messages, tools ?? null]).length;
  return { ok: true, inputTokens: Math.max(1, Math.ceil(read / CHARS_PER_TOKEN)) };
}
