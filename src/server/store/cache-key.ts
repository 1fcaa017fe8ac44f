/**
 * The key of a cached answer: sha256 of the request's sorted-key JSON, so the same prompt written with its keys in
 * another order (or sent by another instance) finds the same answer. Node's crypto: this file is server-only.
 */
import { createHash } from 'node:crypto';
import { stableStringify } from '../../core/hash.js';

export function cacheKeyOf(params: Record<string, unknown>): string {
  return createHash('sha256').update(stableStringify(params) ?? '').digest('hex');
}

/** Only a complete, successful answer may be served again: errors and partial answers never are. */
export function isCacheable(status: number): boolean {
  return status === 200;
}
