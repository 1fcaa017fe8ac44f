/**
 * Fallback chains: "retry for blips, fail over for outages". Which model a request's next attempt goes to, decided
 * from how long its model has been overloaded (the gate's per-model window, or the request's own failures when the
 * app runs without a gate). Kept apart from the retryer, which only asks `pick()` before each attempt.
 */
import type { ModelGateSnapshot } from './gate.js';

export interface FallbackOptions {
  /**
   * The models to fall back to, in order, e.g. `['claude-sonnet-4-5', 'claude-haiku-4-5']`. A request for a model in
   * the list falls back along the models after it; a request for another model (or none) falls back to the first.
   */
  models: readonly string[];
  /**
   * How long a request's model must have been overloaded (or rate limited) before the next attempt goes to the next
   * model. Defaults to 15 s: the gate's first two windows (5 s, then 10 s after a failed probe). A blip is over after
   * one window; a probe that fails again says the overload is not a blip, and 15 s is still well before the "This is
   * taking longer than usual" notice at 30 s.
   */
  afterMs?: number;
  /**
   * `'auto'` moves the request on its own; `'offer'` asks the person first: the request keeps waiting and the demand
   * summary (and `RetryState`) carry an `offer` the UI shows as a button. Defaults to `'auto'`.
   */
  mode?: 'auto' | 'offer';
}

import type { FallbackOffer, OfferScope } from './types.js';
export type { FallbackOffer, OfferScope };

/** The default of {@link FallbackOptions.afterMs}. */
export const DEFAULT_FALLBACK_AFTER_MS = 15_000;

/**
 * The models a request may try, in order: its own first. Requests without a model start on the handler's default
 * (`''`), unless the chain names its first model, which then stands for it.
 */
export function chainFor(model: string | undefined, fallback: FallbackOptions | undefined): string[] {
  const models = fallback?.models ?? [];
  const start = model ?? models[0] ?? '';
  const at = models.indexOf(start);
  return [start, ...(at >= 0 ? models.slice(at + 1) : models.filter((m) => m !== start))];
}

/**
 * Shared by a client's requests: the models whose busy episode the person chose to skip ("Answer with Haiku now" for
 * the rest of it). An episode ends when the model answers again.
 */
export interface FallbackEpisodes {
  skipped: Set<string>;
}

export const createFallbackEpisodes = (): FallbackEpisodes => ({ skipped: new Set() });

/**
 * How long a request has been held up by its model's overload: since the model's window closed (while it is closed,
 * or a probe decides), else since the request began waiting for it (while the model's busy episode lasts: its window
 * may be open while the gate paces its line below full speed). Undefined while the model is not overloaded. A window
 * that reopened for a probe counts only the request's own wait, so new requests go back to the first model (one of
 * them is its probe) while a request held up for `afterMs` already moves on.
 */
export function overloadedFor(lane: ModelGateSnapshot | undefined, ownSince: number | undefined, now: number): number | undefined {
  if (lane && lane.troubledSince === undefined) return undefined;
  const shut = lane !== undefined && (lane.state === 'probing' ? lane.probeInFlight === true : lane.state === 'closed' && (lane.reopenAt ?? Infinity) > now);
  const laneSince = shut ? lane.troubledSince : undefined;
  const since = laneSince === undefined ? ownSince : ownSince === undefined ? laneSince : Math.min(laneSince, ownSince);
  return since === undefined ? undefined : now - since;
}
