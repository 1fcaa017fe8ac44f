/**
 * The key of a cached answer: SHA-256 of the request's sorted-key JSON (with the headers that change the answer),
 * so the same prompt written with its keys in another order (or sent by another instance) finds the same answer.
 * Web Crypto, so the handler runs on any Fetch-API runtime (Workers, Deno, Bun, Node).
 */
import { stableStringify } from '../../core/hash.js';
import type { StoredAnswer } from './types.js';

export async function cacheKeyOf(params: Record<string, unknown>): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(stableStringify(params) ?? ''));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Only a complete Claude message may be served again: a 200 whose body is `{"type":"message","content":[…]}`.
 * Errors, partial answers and a 200 from something that is not Claude (a captive portal's page) never are.
 */
export function isCacheable(answer: StoredAnswer): boolean {
  if (answer.status !== 200) return false;
  try {
    const body = JSON.parse(answer.body) as { type?: unknown; content?: unknown } | null;
    return typeof body === 'object' && body !== null && body.type === 'message' && Array.isArray(body.content);
  } catch {
    return false;
  }
}
