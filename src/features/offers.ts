// claude-overload-kit/offers — a fallback model offered to the person ("Answer with Claude Haiku 4.5 now"), for
// fallback chains in `'offer'` mode: `<ClaudeProvider features={[fallbackOffers()]}>`.
export { fallbackOffers, offerMessages, modelDisplayName, modelText, offerFallbackText, answeredByText } from '../core/offers.js';
