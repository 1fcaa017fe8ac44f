/**
 * Fallback chains: "retry for blips, fail over for outages", the code of the `claude-overload-kit/fallback` entry
 * (src/features/fallback.ts). An app that wants one imports `modelFallback` and passes it in
 * (`fallback: modelFallback({ models })`); an app that does not ships none of this. Each request gets a cursor that picks its next model from how long its model has been overloaded (the
 * gate's per-model window, or the request's own failures when the app runs without a gate).
 */
import type { Gate, GatePermit, ModelGateSnapshot } from './gate-types.js';
import { MOVE, waitForPermit, type PermitWait } from './retry-wait.js';
import type { FallbackChain, FallbackContext, FallbackCursor } from './retryer-types.js';

export type { FallbackOffer, OfferScope } from './types.js';
export type { FallbackChain, FallbackContext, FallbackCursor } from './retryer-types.js';

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

/** The default of {@link FallbackOptions.afterMs}. */
export const DEFAULT_FALLBACK_AFTER_MS = 15_000;

/**
 * A fallback chain for a client, a provider or one call: after a request's model has been overloaded for `afterMs`,
 * its next attempt goes to the next model (`mode: 'auto'`), or the person is offered it (`mode: 'offer'`). Only
 * overload and rate limits move a request.
 */
export function modelFallback(options: FallbackOptions): FallbackChain {
  const { models, afterMs = DEFAULT_FALLBACK_AFTER_MS, mode = 'auto' } = options ?? {};
  if (!Array.isArray(models) || models.some((model) => typeof model !== 'string')) {
    throw new TypeError('modelFallback: `models` must be a list of model names, e.g. ["claude-sonnet-4-5", "claude-haiku-4-5"].');
  }
  if (!(afterMs >= 0) || (mode !== 'auto' && mode !== 'offer')) {
    throw new TypeError("modelFallback: `afterMs` must be ms ≥ 0 and `mode` 'auto' or 'offer'.");
  }
  return { cursor: (context) => createCursor(context, chainFor(context.model, models), afterMs, mode === 'offer') };
}

/**
 * The models a request may try, in order: its own first. Requests without a model start on the handler's default
 * (`''`), unless the chain names its first model, which then stands for it.
 */
export function chainFor(model: string | undefined, models: readonly string[]): string[] {
  const start = model ?? models[0] ?? '';
  const at = models.indexOf(start);
  return [start, ...(at >= 0 ? models.slice(at + 1) : models.filter((m) => m !== start))];
}

function createCursor({ gate, clock, skipped, offer, move }: FallbackContext, chain: string[], afterMs: number, offerMode: boolean): FallbackCursor {
  // When each model was first overloaded for this request, and the person's choices.
  const ownSince = new Map<string, number>();
  const declined = new Set<string>();
  let acceptedThrough = -1;
  let timer: unknown;
  const overFor = (model: string, now: number) => overloadedFor(gate?.snapshotOf(model), ownSince.get(model), now);
  const stop = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };

  /** The first model of the chain not to be passed over now. */
  function pick(): string {
    const now = clock.now();
    for (let i = 0; i < chain.length - 1; i += 1) {
      const model = chain[i]!;
      if (i <= acceptedThrough) continue;
      const over = overFor(model, now);
      if (over === undefined) return model;
      if (skipped.has(model)) continue;
      if (!offerMode && over >= afterMs) continue;
      return model;
    }
    return chain[chain.length - 1]!;
  }

  /**
   * The request waits for `model`: at the moment the model has been overloaded for `afterMs`, move on (auto, or when
   * the chain now says so) or offer the next model (offer). Watched again when the window holding the request moves.
   * Replaces the previous watch; returns how to stop watching, or undefined when the request has nowhere else to go.
   */
  function watch(model: string, moveOn: () => void): (() => void) | undefined {
    stop();
    const index = chain.indexOf(model);
    if (index < 0 || index >= chain.length - 1) return undefined;
    const now = clock.now();
    // A wait for the model counts toward `afterMs` while its busy episode lasts, window open or not.
    if (!ownSince.has(model)) ownSince.set(model, now);
    const over = overFor(model, now);
    if (over === undefined) return stop;
    const fire = () => {
      timer = undefined;
      // A window that reopened in the meantime makes this request its probe: no move, no offer.
      if ((overFor(model, clock.now()) ?? -1) < afterMs) return;
      if (pick() !== model) moveOn();
      else if (offerMode && !declined.has(model)) offer({ model: chain[index + 1]!, from: model });
    };
    const at = now - over + afterMs;
    if (at <= now) fire();
    else timer = clock.setTimeout(fire, at - now);
    return stop;
  }

  return {
    pick,
    wait: (gate, wait) => waitOrMove(gate, wait, (moveOn) => watch(wait.model, moveOn)),
    overloaded(model) {
      const stopWatching = watch(model, move);
      if (pick() === model) return stopWatching;
      stopWatching?.();
      return MOVE;
    },
    accept(taken, scope) {
      acceptedThrough = Math.max(acceptedThrough, chain.indexOf(taken.from));
      if (scope === 'episode') skipped.add(taken.from);
      offer(undefined);
      // Wherever the request is: out of its backoff, out of the gate's line, or out of an attempt the handler's line
      // holds (the retryer wakes each the same way).
      move();
    },
    decline(declinedOffer) {
      declined.add(declinedOffer.from);
      offer(undefined);
    },
    answered(model) {
      // The model's busy episode is over for every request: none skips it any more.
      skipped.delete(model);
      return model === chain[0] ? undefined : chain[0];
    },
  };
}

/**
 * The gate wait of a request that has somewhere else to go: the cursor watches its model meanwhile, and a move (or a
 * wake to move: a cancel) takes it out of the gate's line at once, as MOVE. Only such a request pays for a controller.
 */
async function waitOrMove(gate: Gate, wait: PermitWait, watch: (move: () => void) => (() => void) | undefined): Promise<GatePermit | typeof MOVE> {
  const mover = new AbortController();
  const move = () => mover.abort(MOVE);
  const stop = watch(move);
  if (mover.signal.aborted) {
    stop?.();
    return MOVE;
  }
  if (!stop) return waitForPermit(gate, wait);
  const onCancel = () => mover.abort(wait.signal.reason);
  if (wait.signal.aborted) onCancel();
  wait.signal.addEventListener('abort', onCancel, { once: true });
  try {
    return await waitForPermit(gate, {
      ...wait,
      signal: mover.signal,
      onHold(reopenAt) {
        wait.onHold(reopenAt);
        watch(move);
      },
      setWake: (wake) => wait.setWake(wake && ((how) => (how === 'move' ? move() : wake(how)))),
    });
  } catch (reason) {
    if (reason === MOVE) return MOVE;
    throw reason;
  } finally {
    wait.signal.removeEventListener('abort', onCancel);
    stop();
  }
}

/**
 * How long a request has been held up by its model's overload: since the model's window closed (while it is closed,
 * or a probe decides), else since the request began waiting for it (while the model's busy episode lasts: its window
 * may be open while the gate paces its line below full speed). Undefined while the model is not overloaded. A window
 * that reopened for a probe counts only the request's own wait, so new requests go back to the first model (one of
 * them is its probe) while a request held up for `afterMs` already moves on.
 */
function overloadedFor(model: ModelGateSnapshot | undefined, ownSince: number | undefined, now: number): number | undefined {
  if (model && model.troubledSince === undefined) return undefined;
  const shut = model !== undefined && (model.state === 'probing' ? model.probeInFlight === true : model.state === 'closed' && (model.reopenAt ?? Infinity) > now);
  const modelSince = shut ? model.troubledSince : undefined;
  const since = modelSince === undefined ? ownSince : ownSince === undefined ? modelSince : Math.min(modelSince, ownSince);
  return since === undefined ? undefined : now - since;
}
