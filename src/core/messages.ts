/**
 * Every word the kit's components show, in one object. Framework-free so apps can build their own UI from it.
 * Strings are plain values; anything that depends on a number is a function taking the locale, so plurals and
 * digits come from `Intl` rather than from string concatenation. No message ever carries a status code or an
 * API error type: the person at the screen reads what is happening, not how the API spelled it.
 */
import type { DemandLevel, DemandSnapshot, StatusIncident } from './types.js';

export interface ClaudeMessages {
  /** BCP 47 tag used by every `Intl` formatter below. Defaults to `'en'`. */
  locale: string;

  // Headlines, one per level; `busy` and `unavailable` are refined by the kind of the last failure.
  /** Overloaded. Default: "Claude is busy right now." */
  busy: string;
  /**
   * Overloaded, and the kit's handler keeps this request's place in its line. It is announced once, with the state;
   * the expected turn counts down beside it (`turnIn`), silently. Optional so that translations written before it
   * still type-check; falls back to `busy`. Default: "Claude is busy — you're in line."
   */
  inLine?: string;
  /** 5xx and proxy error pages while retrying. Default: "Something went wrong on Claude's side." */
  serverError: string;
  /** Timeouts and failed fetches while retrying. Default: "Connection problem." */
  connectionProblem: string;
  /** Default: "Too many requests." */
  rateLimited: string;
  /** Default: "You're offline. We'll continue when you're back." */
  offline: string;
  /** Given up, nothing scheduled. Default: "Claude isn't available right now." */
  unavailable: string;
  /** Spend limit reached; never retried. Default: "This app has reached its usage limit." */
  spendLimited: string;
  /**
   * The app's own server is not set up to reach Claude (kind `not_configured`); not retried. Optional so that
   * translations written before it still type-check; falls back to `unavailable`. Default: "This app can't reach
   * Claude right now — its server isn't set up."
   */
  notConfigured?: string;

  // Countdown
  /** "Retrying in 8 s…" */
  retryingIn: (seconds: number, locale: string) => string;
  /** While an attempt is on the wire. Default: "Retrying…" */
  retrying: string;
  /**
   * The countdown to the request's expected turn in the kit handler's line (then the only wait on screen). Optional,
   * falls back to `retryingIn`. Default: "Your turn in about 40 s."
   */
  turnIn?: (seconds: number, locale: string) => string;
  /** The expected turn has come and the request still waits for it. Optional, falls back to `retrying`. Default: "Still in line…" */
  turnDue?: string;
  /**
   * After the person pressed Cancel, where the app shows what was asked (the hooks' `cancelled`). Optional.
   * Default: "Cancelled — your question is still here."
   */
  cancelled?: string;
  /** The button that sends a cancelled question again. Optional. Default: "Send again" */
  sendAgain?: string;
  /** "Attempt 3" */
  attempt: (attempt: number, locale: string) => string;

  // Escalation of one busy episode: the `escalation()` feature brings these (claude-overload-kit/escalation).
  /** Default: "This is taking longer than usual." */
  escalationSlow?: string;
  /** Default: "This has gone on unusually long — there may be an incident. Check Claude's status page." */
  escalationUnusual?: string;
  /** Default: "We've let the team know. You can keep waiting or come back later." */
  escalationContact?: string;

  // Incident from the status page: the `statusWatch()` feature brings these (claude-overload-kit/status).
  /** Level `incident` without incident details. Default: "Claude is having a service disruption." */
  incidentHeadline?: string;
  /** The incident has just been resolved on the status page. Default: "Anthropic reports the disruption is over." */
  incidentResolvedHeadline?: string;
  /**
   * "Anthropic reports: Elevated errors on Claude — Investigating". `status` arrives already in words (through
   * `incidentStatus`); use `incidentText()` to call it.
   */
  incident?: (name: string, status: string, locale: string) => string;
  /** Statuspage incident statuses in words; unknown statuses are shown capitalised. */
  incidentStatus?: Record<string, string>;

  // Actions
  /** Default: "Retry now" */
  retryNow: string;
  /** Default: "Cancel" */
  cancel: string;
  /** Default: "Dismiss" */
  dismiss: string;
  /** Disclosure summary. Default: "Details" */
  details: string;
  /** Radix toast `altText` for screen readers. Default: "Retry the request now" */
  retryNowAltText: string;
  /** Default: "Stop retrying" */
  cancelAltText: string;
  /** Default: "Dismiss this notice" */
  dismissAltText: string;

  // Details and recovery
  /** Default: "Request ID" */
  requestIdLabel: string;
  /** Default: "Give this ID to support if the problem continues." */
  requestIdHint: string;
  /** Default: "Claude status page" */
  statusPageLink: string;
  /** Appended for screen readers to links that open a new tab. Default: "(opens in a new tab)" */
  opensInNewTab: string;
  /** Default: "Back to normal" */
  backToNormal: string;
  /** Default: "Claude is responding again." */
  backToNormalDescription: string;
  /** Accessible name of the banner. Default: "Claude status" */
  bannerLabel: string;
  /** Radix Toast viewport label; `{hotkey}` is replaced. Default: "Notifications ({hotkey})" */
  notificationsLabel: string;

  // Added for the app-wide wait: a request not yet sent, held because Claude was overloaded a moment ago.
  /**
   * The countdown before a first attempt (nothing sent yet, so not a retry). Optional so that translations written
   * before it still type-check; falls back to `retryingIn`. Default: "Sending in 8 s…"
   */
  sendingIn?: (seconds: number, locale: string) => string;
  /** "Retry now" for a request not yet sent. Optional, falls back to `retryNow`. Default: "Send now" */
  sendNow?: string;

  // Fallback models: the `fallbackOffers()` feature brings these (claude-overload-kit/offers).
  /**
   * A model's name as the person reads it, e.g. `claude-haiku-4-5` → "Claude Haiku 4.5". Override it for your own
   * names or models the default does not know. Default: `modelDisplayName`.
   */
  modelName?: (model: string) => string;
  /**
   * The offer's button, with what changes. `model` arrives already as a display name. Default: "Answer with
   * {model} now — faster, less thorough"
   */
  offerFallback?: (model: string, locale: string) => string;
  /** Radix toast `altText` for the offer. Default: "Have {model} answer instead of waiting" */
  offerFallbackAltText?: (model: string, locale: string) => string;
  /** The button that keeps waiting. Default: "Keep waiting" */
  declineFallback?: string;
  /** A note under an answer a fallback model gave. Default: "Answered by {model}" */
  answeredBy?: (model: string, locale: string) => string;
}

/** Seconds below this are shown as seconds, above it as minutes. */
const SECONDS_SHOWN_UP_TO = 90;

/** "8 s", "2 min" — whole units, locale digits. English keeps the spaced "s" the design uses. */
export function formatWait(seconds: number, locale: string): string {
  const whole = Math.max(0, Math.ceil(seconds));
  if (whole <= SECONDS_SHOWN_UP_TO) {
    if (/^en/i.test(locale)) return `${new Intl.NumberFormat(locale).format(whole)} s`;
    return unit(locale, 'second', whole);
  }
  return unit(locale, 'minute', Math.round(whole / 60));
}

function unit(locale: string, name: 'second' | 'minute', value: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short' }).format(value);
}

/** Picks the message for a count through `Intl.PluralRules`, falling back to `other`. */
export function plural(
  locale: string,
  count: number,
  forms: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string },
): string {
  const form = forms[new Intl.PluralRules(locale).select(count)] ?? forms.other;
  return form.replace('#', new Intl.NumberFormat(locale).format(count));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The words for a Statuspage incident status, e.g. "monitoring" → "Monitoring a fix". */
export function describeIncidentStatus(messages: ClaudeMessages, status: string): string {
  return messages.incidentStatus?.[status] ?? capitalise(status);
}

/** "Anthropic reports: {name} — {status in words}"; the incident's name alone without the status words. */
export function incidentText(messages: ClaudeMessages, incident: StatusIncident): string {
  return messages.incident?.(incident.name, describeIncidentStatus(messages, incident.status), messages.locale) ?? incident.name;
}

export const defaultMessages: ClaudeMessages = {
  locale: 'en',
  busy: 'Claude is busy right now.',
  inLine: "Claude is busy — you're in line.",
  serverError: "Something went wrong on Claude's side.",
  connectionProblem: 'Connection problem.',
  rateLimited: 'Too many requests.',
  offline: "You're offline. We'll continue when you're back.",
  unavailable: "Claude isn't available right now.",
  spendLimited: 'This app has reached its usage limit.',
  notConfigured: "This app can't reach Claude right now — its server isn't set up.",
  retryingIn: (seconds, locale) => `Retrying in ${formatWait(seconds, locale)}…`,
  retrying: 'Retrying…',
  turnIn: (seconds, locale) => `Your turn in about ${formatWait(seconds, locale)}.`,
  turnDue: 'Still in line…',
  cancelled: 'Cancelled — your question is still here.',
  sendAgain: 'Send again',
  attempt: (attempt, locale) => `Attempt ${new Intl.NumberFormat(locale).format(attempt)}`,
  retryNow: 'Retry now',
  cancel: 'Cancel',
  dismiss: 'Dismiss',
  details: 'Details',
  retryNowAltText: 'Retry the request now',
  cancelAltText: 'Stop retrying',
  dismissAltText: 'Dismiss this notice',
  requestIdLabel: 'Request ID',
  requestIdHint: 'Give this ID to support if the problem continues.',
  statusPageLink: 'Claude status page',
  opensInNewTab: '(opens in a new tab)',
  backToNormal: 'Back to normal',
  backToNormalDescription: 'Claude is responding again.',
  bannerLabel: 'Claude status',
  notificationsLabel: 'Notifications ({hotkey})',
  sendingIn: (seconds, locale) => `Sending in ${formatWait(seconds, locale)}…`,
  sendNow: 'Send now',
};

/** Overrides win key by key; `incidentStatus` merges entry by entry. */
export function mergeMessages(base: ClaudeMessages, overrides?: Partial<ClaudeMessages>): ClaudeMessages {
  if (!overrides) return base;
  return {
    ...base,
    ...overrides,
    incidentStatus: { ...base.incidentStatus, ...overrides.incidentStatus },
  };
}

/**
 * The headline for a snapshot: the level, refined by the last failure kind (a busy episode caused by 5xx pages
 * reads "Something went wrong on Claude's side", not "busy"). Returns undefined while normal.
 */
export function headlineFor(
  messages: ClaudeMessages,
  demand: Pick<DemandSnapshot, 'level' | 'lastFailureKind' | 'incident' | 'line'> & Partial<Pick<DemandSnapshot, 'waiting' | 'retrying'>>,
): string | undefined {
  const level: DemandLevel = stillWaitingAfterIncident(demand) ? 'busy' : demand.level;
  switch (level) {
    case 'normal':
      return undefined;
    case 'busy':
      if (demand.lastFailureKind === 'server_error') return messages.serverError;
      if (demand.lastFailureKind === 'timeout' || demand.lastFailureKind === 'network') {
        return messages.connectionProblem;
      }
      if (demand.line !== undefined && messages.inLine) return messages.inLine;
      return messages.busy;
    case 'rate_limited':
      return messages.rateLimited;
    case 'offline':
      return messages.offline;
    case 'unavailable':
      if (demand.lastFailureKind === 'spend_limited') return messages.spendLimited;
      if (demand.lastFailureKind === 'not_configured') return messages.notConfigured ?? messages.unavailable;
      return messages.unavailable;
    case 'incident':
      // The status feature's words; a snapshot an app made itself without them reads as busy.
      return (demand.incident?.status === 'resolved' ? messages.incidentResolvedHeadline : messages.incidentHeadline) ?? messages.busy;
  }
}

/**
 * An incident Anthropic reports resolved, while the person's requests still wait (a snapshot an app made itself;
 * the kit's own store never sets the level so): their wait is the news, not "the disruption is over".
 */
export function stillWaitingAfterIncident(demand: Partial<Pick<DemandSnapshot, 'level' | 'incident' | 'waiting' | 'retrying'>>): boolean {
  return demand.level === 'incident' && demand.incident?.status === 'resolved' && ((demand.waiting ?? 0) > 0 || demand.retrying === true);
}

/** The escalation sentence for a stage, or undefined at `none` (and without the escalation feature's words). */
export function escalationFor(messages: ClaudeMessages, stage: DemandSnapshot['escalation']): string | undefined {
  if (stage === 'slow') return messages.escalationSlow;
  if (stage === 'unusual') return messages.escalationUnusual;
  if (stage === 'contact') return messages.escalationContact;
  return undefined;
}
