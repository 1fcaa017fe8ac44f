// claude-overload-kit/fallback — fallback chains between models, an import an app passes in
// (`fallback: modelFallback({ models, afterMs, mode })`); an app that does not import it ships none of it.
export { modelFallback, DEFAULT_FALLBACK_AFTER_MS, type FallbackOptions } from '../core/fallback.js';
export type { FallbackChain, FallbackContext, FallbackCursor } from '../core/retryer.js';
export type { FallbackOffer, OfferScope } from '../core/types.js';
