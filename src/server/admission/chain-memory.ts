/**
 * What the handler's fallback chain remembers across requests, in this process: when each request that was sent away
 * with a ticket first arrived (so its wait on an overloaded model keeps counting when it comes back with the ticket,
 * as the kit's transport does every `lineUpdateMs`), when each model last turned a call away, and how long each
 * model's answers took lately (so a request is not started on a slow model so late that its answer would come after
 * the fallback's). Bounded: a client sending ever new tickets or models cannot grow it.
 */

export interface ChainMemory {
  /** The first arrival of the request that was given `ticket`, once; undefined for an unknown or expired ticket. */
  arrivalOf(ticket: string | undefined, now: number): number | undefined;
  /** Keeps the first arrival of a request sent away with `ticket`, for its return. */
  keepArrival(ticket: string, since: number, now: number): void;
  /** Claude turned a call for `model` away (529, rate limit) at `at`. */
  refused(model: string, at: number): void;
  /** When Claude last turned a call for `model` away, or undefined. */
  refusedAt(model: string): number | undefined;
  /**
   * Since when `model` has been overloaded without a break (refusals less than EPISODE_GAP_MS apart), or undefined
   * when it has not refused a call for that long: an outage, told from a blip by how long it has lasted.
   */
  overloadedSince(model: string, now: number): number | undefined;
  /** Claude answered a call for `model` in `ms` (a stream: its first byte). */
  answered(model: string, ms: number): void;
  /** The median of `model`'s recent answer times, or undefined before it has answered. */
  typicalAnswerMs(model: string): number | undefined;
}

/** Answers per model the median is taken over: enough to ride out one odd answer, few enough to follow a change. */
const ANSWERS_KEPT = 15;
/**
 * Refusals this far apart or closer are one overload: longer than the line's longest closed window (15 s) and the
 * probe after it, during which a model kept shut refuses nothing because nothing is sent.
 */
const EPISODE_GAP_MS = 30_000;
/** Models remembered: a client naming ever new ones (the allowlist aside) must not grow memory. */
const MAX_MODELS = 64;
/** A ticket's arrival is kept as long as the store keeps the ticket itself (its retry-after plus two minutes). */
const ARRIVAL_KEPT_MS = 180_000;

export function createChainMemory(maxTickets = 4000): ChainMemory {
  const arrivals = new Map<string, { since: number; expiresAt: number }>();
  const lastRefused = new Map<string, { at: number; since: number }>();
  const answers = new Map<string, number[]>();
  const bounded = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_MODELS) map.delete(map.keys().next().value as string);
  };
  return {
    arrivalOf(ticket, now) {
      if (ticket === undefined) return undefined;
      const kept = arrivals.get(ticket);
      arrivals.delete(ticket);
      return kept && kept.expiresAt > now ? kept.since : undefined;
    },
    keepArrival(ticket, since, now) {
      // Insertion order is expiry order: drop expired ones from the front, then the oldest past the bound.
      for (const [key, kept] of arrivals) {
        if (kept.expiresAt > now && arrivals.size < maxTickets) break;
        arrivals.delete(key);
      }
      arrivals.set(ticket, { since, expiresAt: now + ARRIVAL_KEPT_MS });
    },
    refused(model, at) {
      const last = lastRefused.get(model);
      const since = last && at - last.at <= EPISODE_GAP_MS ? last.since : at;
      bounded(lastRefused, model, { at: Math.max(at, last?.at ?? at), since });
    },
    refusedAt: (model) => lastRefused.get(model)?.at,
    overloadedSince(model, now) {
      const last = lastRefused.get(model);
      return last && now - last.at <= EPISODE_GAP_MS ? last.since : undefined;
    },
    answered(model, ms) {
      const times = answers.get(model) ?? [];
      times.push(ms);
      if (times.length > ANSWERS_KEPT) times.shift();
      bounded(answers, model, times);
    },
    typicalAnswerMs(model) {
      const times = answers.get(model);
      if (!times || times.length === 0) return undefined;
      const sorted = [...times].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    },
  };
}
