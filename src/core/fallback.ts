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

/** The fallback a request may take now: answer with `model` instead of waiting for `from`. */
export interface FallbackOffer {
  /** The model the next attempt would go to. */
  model: string;
  /** The overloaded model the request is waiting for ('' for the handler's default model). */
  from: string;
}

/** What accepting an offer covers: this request only, or every request of the busy episode of that model. */
export type OfferScope = 'request' | 'episode';

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
 * How long a model has been overloaded (undefined: it is not, or its window is open for a probe): a request passes
 * it over once that reaches `afterMs`.
 * When the window has reopened and nobody probes, the model is tried again (that request is its probe), so new
 * requests go back to the first model once it has room.
 */
export function overloadedFor(lane: ModelGateSnapshot | undefined, ownSince: number | undefined, now: number): number | undefined {
  const since = lane?.troubledSince ?? ownSince;
  if (since === undefined) return undefined;
  if (lane && lane.troubledSince !== undefined) {
    const reopened = lane.state === 'probing' ? !lane.probeInFlight : lane.state === 'closed' && (lane.reopenAt ?? Infinity) <= now;
    if (reopened || lane.state === 'open') return undefined;
  }
  return now - since;
}
