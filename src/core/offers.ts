/**
 * Fallback offers, as a feature: with a fallback chain in `'offer'` mode a waiting request may be answered by a
 * faster model now; this puts the offer in the demand summary (`offer`, with `accept` and `decline`), where the
 * banner and the toaster show it as a button, and brings the words for it.
 */
import type { ClaudeFeature } from './features.js';
import type { FallbackOffer, OfferScope } from './fallback.js';
import type { ClaudeMessages } from './messages.js';
import type { Retryer } from './retryer.js';
import type { DemandOffer } from './types.js';

/**
 * A Claude model id as a person reads it: `claude-haiku-4-5` → "Claude Haiku 4.5", `claude-3-5-haiku-20241022` →
 * "Claude 3.5 Haiku", `claude-opus-4-1` → "Claude Opus 4.1". A date suffix is dropped; an id of another shape is
 * returned as it is.
 */
export function modelDisplayName(model: string): string {
  const parts = model.replace(/-\d{8}$/, '').replace(/-latest$/, '').split('-');
  if (parts[0] !== 'claude' || parts.length < 2) return model;
  const words: string[] = [];
  for (const part of parts) {
    const last = words.length - 1;
    if (/^\d+$/.test(part) && last >= 0 && /^\d+(\.\d+)*$/.test(words[last]!)) words[last] += `.${part}`;
    else words.push(/^\d/.test(part) ? part : part.charAt(0).toUpperCase() + part.slice(1));
  }
  return words.join(' ');
}

type OfferMessages = Pick<ClaudeMessages, 'modelName' | 'offerFallback' | 'offerFallbackAltText' | 'declineFallback' | 'answeredBy'>;

/** The offer's words (English); override them through the provider's `messages`. */
export const offerMessages: Required<OfferMessages> = {
  modelName: (model) => modelDisplayName(model),
  offerFallback: (model) => `Answer with ${model} now — faster, less thorough`,
  offerFallbackAltText: (model) => `Have ${model} answer instead of waiting`,
  declineFallback: 'Keep waiting',
  answeredBy: (model) => `Answered by ${model}`,
};

/**
 * A sentence about a model, `model` shown by its display name: the messages' own words, these English ones where they
 * have none.
 */
export function modelText(
  messages: Partial<ClaudeMessages>,
  key: 'offerFallback' | 'offerFallbackAltText' | 'answeredBy',
  model: string,
): string {
  const name = (messages.modelName ?? offerMessages.modelName)(model);
  return (messages[key] ?? offerMessages[key])(name, messages.locale ?? 'en');
}

/** The offer's button text: "Answer with Claude Haiku 4.5 now — faster, less thorough". */
export const offerFallbackText = (messages: Partial<ClaudeMessages>, offer: Pick<FallbackOffer, 'model'>): string =>
  modelText(messages, 'offerFallback', offer.model);

/** The note under an answer from a fallback model: "Answered by Claude Haiku 4.5". */
export const answeredByText = (messages: Partial<ClaudeMessages>, model: string): string => modelText(messages, 'answeredBy', model);

/**
 * The summary's `offer`: the oldest offer among the requests the person waits for (background work's offer is not
 * theirs to take). `accept` takes it for every request that has one (`'episode'`, the default here: the person
 * answered for the app, so the requests that come while that model's overload lasts go too); `decline` keeps them
 * waiting, and they are not offered it again.
 */
export function fallbackOffers(): ClaudeFeature {
  return {
    name: 'offers',
    messages: offerMessages,
    setup({ demand }) {
      const offering = new Map<Retryer<unknown>, FallbackOffer>();
      const each = (act: (retryer: Retryer<unknown>) => void) => [...offering.keys()].forEach(act);
      let shown: DemandOffer | undefined;
      demand.extend({
        follow(retryer, snapshot, background) {
          if (snapshot?.offer && !background) offering.set(retryer, snapshot.offer);
          else offering.delete(retryer);
        },
        refine(draft) {
          const first = offering.values().next().value;
          if (!first) return;
          // The same object while the offer is the same, so the summary does not change under the person's eyes.
          if (shown?.model !== first.model || shown.from !== first.from) {
            shown = {
              ...first,
              accept: (scope: OfferScope = 'episode') => each((retryer) => retryer.acceptOffer(scope)),
              decline: () => each((retryer) => retryer.declineOffer()),
            };
          }
          draft.offer = shown;
        },
      });
    },
  };
}
