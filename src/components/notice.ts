import { escalationFor, headlineFor, type ClaudeMessages } from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';
import { iconFor, type IconName } from './icons.js';

/** Which actions the host wired up; a rule never shows an action nobody handles. */
export interface AvailableActions {
  retryNow?: boolean;
  cancel?: boolean;
  dismiss?: boolean;
  /** Taking a fallback offer (the view adds "Keep waiting" when it also has a handler for declining). */
  offer?: boolean;
}

/** A fallback model could answer now: the button that takes it and the one that keeps waiting. */
export interface NoticeOffer {
  /** "Answer with Claude Haiku 4.5 now — faster, less thorough" */
  accept: string;
  /** Radix toast `altText` for the accept button. */
  acceptAltText: string;
  /** "Keep waiting" */
  decline: string;
}

/** What the banner and the toast say and offer for one snapshot: one set of rules for both. */
export interface Notice {
  headline: string;
  /** The escalation sentence; left out while an incident is named (the incident says more, and more surely). */
  escalation?: string;
  /** Link the status page next to the escalation ("unusual", "contact") when no incident link is shown. */
  statusLink: boolean;
  icon: IconName;
  /** Something is scheduled or on the wire: drives `data-state` and the waiting ring. */
  state: 'waiting' | 'retrying' | 'idle';
  /** Nothing of this episode was sent yet: the app-wide wait after an overload, not a retry. */
  firstAttempt: boolean;
  /** Pressing it sends something now: a request waits for its turn, or a given-up one can be tried again. */
  retryNow: boolean;
  retryLabel: string;
  /** Something waits or is being retried, so there is something to stop. */
  cancel: boolean;
  /** Nothing to stop: the notice can only be put away. */
  dismiss: boolean;
  /**
   * A fallback model could answer the waiting request now (`demand.offer`, fallback chains in `'offer'` mode). It
   * takes the place of "Retry now": both send now, and sending to the overloaded model again is the weaker choice.
   */
  offer?: NoticeOffer;
}

/** The rules, state by state (the README's table of states and sentences is read off these). */
export function noticeFor(
  demand: DemandSnapshot,
  messages: ClaudeMessages,
  available: AvailableActions = {},
): Notice | undefined {
  const headline = headlineFor(messages, demand);
  if (headline === undefined) return undefined;
  const offline = demand.level === 'offline';
  // Failures that another try cannot fix: the usage limit, and an app server that is not set up.
  const hopeless = demand.lastFailureKind === 'spend_limited' || demand.lastFailureKind === 'not_configured';
  const scheduled = demand.waiting > 0 && demand.nextAttemptAt !== undefined;
  // Offline nothing can be sent, and a usage limit or a missing server key stops every model alike.
  const offer = available.offer === true && demand.offer && !offline && !hopeless ? offerOf(demand.offer.model, messages) : undefined;
  // Buttons for the person's own waits: with only background work in the episode they would do nothing.
  const people = !demand.backgroundOnly;
  const retryNow =
    available.retryNow === true &&
    people &&
    offer === undefined &&
    !offline &&
    !hopeless &&
    (scheduled || (demand.level === 'unavailable' && demand.inFlight === 0));
  const cancel = available.cancel === true && people && (demand.waiting > 0 || demand.retrying);
  const incidentNamed = demand.incident !== undefined;
  // "Taking longer than usual" beside a named incident guesses at what is known, and beside "not available" (nothing
  // is in progress any more) it says something false; "we've let the team know" stays true everywhere.
  const unsaid =
    (incidentNamed && demand.escalation !== 'contact') || (demand.level === 'unavailable' && demand.escalation === 'slow');
  const escalation = unsaid ? undefined : escalationFor(messages, demand.escalation);
  const firstAttempt = demand.attempt === 0;
  return {
    headline,
    escalation,
    statusLink: !incidentNamed && (demand.escalation === 'unusual' || demand.escalation === 'contact'),
    icon: iconFor(demand),
    state: demand.retrying ? 'retrying' : scheduled ? 'waiting' : 'idle',
    firstAttempt,
    retryNow,
    retryLabel: firstAttempt && demand.level !== 'unavailable' ? (messages.sendNow ?? messages.retryNow) : messages.retryNow,
    cancel,
    dismiss: available.dismiss === true && !cancel,
    offer,
  };
}

/** The offer's words come with the `fallbackOffers()` feature; without them no offer is shown. */
function offerOf(model: string, messages: ClaudeMessages): NoticeOffer | undefined {
  const { offerFallback, offerFallbackAltText, declineFallback, locale } = messages;
  if (!offerFallback || !offerFallbackAltText || declineFallback === undefined) return undefined;
  const name = messages.modelName?.(model) ?? model;
  return { accept: offerFallback(name, locale), acceptAltText: offerFallbackAltText(name, locale), decline: declineFallback };
}
