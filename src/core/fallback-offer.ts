/** What a fallback chain in `'offer'` mode puts before the person (a leaf: the summary types read it). */

/** The fallback a request may take now: answer with `model` instead of waiting for `from`. */
export interface FallbackOffer {
  /** The model the next attempt would go to. */
  model: string;
  /** The overloaded model the request is waiting for ('' for the handler's default model). */
  from: string;
}

/** What accepting an offer covers: this request only, or every request of the busy episode of that model. */
export type OfferScope = 'request' | 'episode';
