import type { Clock } from '../core/clock.js';
import {
  defaultMessages,
  escalationFor,
  headlineFor,
  incidentText,
  type ClaudeMessages,
} from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';
import { RetryCountdownView } from './RetryCountdownView.js';

/** Anthropic's public status page (the old status.anthropic.com redirects here). */
export const DEFAULT_STATUS_PAGE_URL = 'https://status.claude.com';

export interface HighDemandBannerViewProps {
  /** What to show. Nothing renders while `demand.level` is `'normal'`. */
  demand: DemandSnapshot;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /** "Retry now" button; hidden when absent, offline, or when retrying cannot help (usage limit). */
  onRetryNow?: () => void;
  /** "Cancel" button, shown while something waits or retries; hidden when absent. */
  onCancel?: () => void;
  /** "Dismiss" button, shown when nothing is waiting; hidden when absent. */
  onDismiss?: () => void;
  /** Status page linked from Details and from the escalation copy. Defaults to https://status.claude.com. */
  statusPageUrl?: string;
  /** Time source for the countdown. Defaults to the real clock. */
  clock?: Clock;
  className?: string;
}

/** Inline, so the hint stays hidden for sighted users even without styles.css. */
const visuallyHidden = {
  position: 'absolute',
  width: 1,
  height: 1,
  margin: -1,
  padding: 0,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
  border: 0,
} as const;

function ExternalLink({ href, label, messages }: { href: string; label: string; messages: ClaudeMessages }) {
  return (
    <a className="cok-link" href={href} target="_blank" rel="noreferrer">
      {label}
      <span style={visuallyHidden}> {messages.opensInNewTab}</span>
    </a>
  );
}

/**
 * The presentational banner: headline, countdown, actions, details. All visual state is in `data-level`,
 * `data-escalation` and `data-state`; class names are `cok-*` and only take effect with `styles.css`.
 */
export function HighDemandBannerView({
  demand,
  messages = defaultMessages,
  onRetryNow,
  onCancel,
  onDismiss,
  statusPageUrl = DEFAULT_STATUS_PAGE_URL,
  clock,
  className,
}: HighDemandBannerViewProps) {
  const headline = headlineFor(messages, demand);
  if (headline === undefined) return null;

  const waiting = demand.retrying || demand.nextRetryAt !== undefined;
  const spendLimited = demand.lastFailureKind === 'spend_limited';
  // "Retry now" only where there is something to retry: a wait, or requests given up on.
  const showRetry =
    onRetryNow !== undefined && demand.level !== 'offline' && !spendLimited && (waiting || demand.level === 'unavailable');
  const showCancel = onCancel !== undefined && (waiting || demand.level === 'offline');
  const showDismiss = onDismiss !== undefined && !showCancel;
  const escalation = escalationFor(messages, demand.escalation);
  const linkStatus = demand.escalation === 'unusual' || demand.escalation === 'contact';
  const incident = demand.incident;

  return (
    <section
      className={className ?? 'cok-banner'}
      aria-label={messages.bannerLabel}
      data-level={demand.level}
      data-escalation={demand.escalation}
      data-state={demand.retrying ? 'retrying' : waiting ? 'waiting' : 'idle'}
    >
      <span className="cok-indicator" aria-hidden="true" />
      <div className="cok-body">
        <p className="cok-summary">
          {/* Only this part is live: it changes with the level and the escalation, never with the clock. */}
          <span className="cok-announce" role="status" aria-live="polite" aria-atomic="true">
            <strong className="cok-headline">{headline}</strong>
            {escalation !== undefined && <span className="cok-escalation"> {escalation}</span>}
            {/* The incident's own words are announced with the level; sighted users read them in the link below. */}
            {demand.level === 'incident' && incident && <span style={visuallyHidden}> {incidentText(messages, incident)}</span>}
          </span>{' '}
          <RetryCountdownView
            until={demand.nextRetryAt}
            retrying={demand.retrying}
            messages={messages}
            clock={clock}
          />
        </p>
        {incident && (
          <p className="cok-incident">
            <ExternalLink href={incident.url ?? statusPageUrl} label={incidentText(messages, incident)} messages={messages} />
          </p>
        )}
        {linkStatus && !incident && (
          <p className="cok-status-link">
            <ExternalLink href={statusPageUrl} label={messages.statusPageLink} messages={messages} />
          </p>
        )}
        <details className="cok-details">
          <summary>{messages.details}</summary>
          <div className="cok-details-body">
            {demand.lastRequestId !== undefined && (
              <dl>
                <dt>{messages.requestIdLabel}</dt>
                <dd>
                  <code>{demand.lastRequestId}</code>
                </dd>
              </dl>
            )}
            {demand.lastRequestId !== undefined && <p className="cok-hint">{messages.requestIdHint}</p>}
            {demand.attempt > 0 && <p className="cok-hint">{messages.attempt(demand.attempt, messages.locale)}</p>}
            <ExternalLink href={statusPageUrl} label={messages.statusPageLink} messages={messages} />
          </div>
        </details>
      </div>
      {(showRetry || showCancel || showDismiss) && (
        <div className="cok-actions">
          {showCancel && (
            <button type="button" className="cok-button" data-variant="ghost" onClick={onCancel}>
              {messages.cancel}
            </button>
          )}
          {showDismiss && (
            <button type="button" className="cok-button" data-variant="ghost" onClick={onDismiss}>
              {messages.dismiss}
            </button>
          )}
          {showRetry && (
            <button type="button" className="cok-button" data-variant="primary" onClick={onRetryNow}>
              {messages.retryNow}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
