import { forwardRef, type HTMLAttributes } from 'react';
import type { Clock } from '../core/clock.js';
import { defaultMessages, incidentText, type ClaudeMessages } from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';
import { cx } from './cx.js';
import { StateIcon } from './icons.js';
import { noticeFor } from './notice.js';
import { RetryCountdownView } from './RetryCountdownView.js';
import { ExternalLink, kitButton, visuallyHidden } from './links.js';

/** Anthropic's public status page (the old status.anthropic.com redirects here). */
export const DEFAULT_STATUS_PAGE_URL = 'https://status.claude.com';

export interface HighDemandBannerViewProps extends Omit<HTMLAttributes<HTMLElement>, 'children'> {
  /** What to show. Nothing renders while `demand.level` is `'normal'`. */
  demand: DemandSnapshot;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /**
   * "Retry now" button, shown only when pressing it sends something: a request waits for its next attempt, or
   * requests were given up on. Hidden when absent, offline, while only attempts in flight remain, and at the usage limit.
   */
  onRetryNow?: () => void;
  /** "Cancel" button, shown while something waits or is being retried; hidden when absent. */
  onCancel?: () => void;
  /** "Dismiss" button, shown when there is nothing to cancel; hidden when absent. */
  onDismiss?: () => void;
  /**
   * "Answer with Claude Haiku 4.5 now — faster, less thorough", shown while `demand.offer` is set (a fallback chain
   * in `'offer'` mode); it takes the place of "Retry now". Hidden when absent.
   */
  onAcceptOffer?: () => void;
  /** "Keep waiting" beside the offer: keeps waiting for the busy model and puts the offer away. Hidden when absent. */
  onDeclineOffer?: () => void;
  /** Status page linked from Details and from the escalation copy. Defaults to https://status.claude.com. */
  statusPageUrl?: string;
  /** Time source for the countdown. Defaults to the real clock. */
  clock?: Clock;
}

/**
 * The presentational banner: icon, headline, countdown, actions, details. All visual state is in `data-level`,
 * `data-escalation` and `data-state`; class names are `cok-*` and only take effect with `styles.css`.
 * `className` is added to `cok-banner`; other props and the ref go to the `<section>`.
 */
export const HighDemandBannerView = /* @__PURE__ */ forwardRef<HTMLElement, HighDemandBannerViewProps>(function HighDemandBannerView(
  { demand, messages = defaultMessages, onRetryNow, onCancel, onDismiss, onAcceptOffer, onDeclineOffer, statusPageUrl = DEFAULT_STATUS_PAGE_URL, clock, className, ...rest },
  ref,
) {
  const notice = noticeFor(demand, messages, {
    retryNow: onRetryNow !== undefined,
    cancel: onCancel !== undefined,
    dismiss: onDismiss !== undefined,
    offer: onAcceptOffer !== undefined,
  });
  if (notice === undefined) return null;
  const incident = demand.incident;

  return (
    <section
      aria-label={messages.bannerLabel}
      {...rest}
      ref={ref}
      className={cx('cok-banner', className)}
      data-level={demand.level}
      data-escalation={demand.escalation}
      data-state={notice.state}
      data-offer={notice.offer ? '' : undefined}
    >
      <StateIcon name={notice.icon} />
      <div className="cok-body">
        <p className="cok-summary">
          {/* Only this part is live: it changes with the level and the escalation, never with the clock. */}
          <span className="cok-announce" role="status" aria-live="polite" aria-atomic="true">
            <strong className="cok-headline">{notice.headline}</strong>
            {notice.escalation !== undefined && <span className="cok-escalation"> {notice.escalation}</span>}
            {/* The incident's own words are announced with the level; sighted users read them in the link below. */}
            {demand.level === 'incident' && incident && <span style={visuallyHidden}> {incidentText(messages, incident)}</span>}
            {/* An offer that appears mid-episode is news too: said with the headline, so people who do not see it hear it. */}
            {notice.offer && <span style={visuallyHidden}> {notice.offer.accept}</span>}
          </span>{' '}
          <RetryCountdownView
            until={demand.nextAttemptAt}
            retrying={demand.retrying}
            firstAttempt={notice.firstAttempt}
            turn={demand.line !== undefined}
            messages={messages}
            clock={clock}
          />
        </p>
        {notice.offer && (
          <div className="cok-offer">
            {kitButton('primary', notice.offer.accept, onAcceptOffer)}
            {onDeclineOffer && kitButton('ghost', notice.offer.decline, onDeclineOffer)}
          </div>
        )}
        {incident && (
          <p className="cok-incident">
            <ExternalLink href={incident.url ?? statusPageUrl} label={incidentText(messages, incident)} messages={messages} />
          </p>
        )}
        {notice.statusLink && (
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
      {(notice.retryNow || notice.cancel || notice.dismiss) && (
        <div className="cok-actions">
          {notice.cancel && kitButton('ghost', messages.cancel, onCancel)}
          {notice.dismiss && kitButton('ghost', messages.dismiss, onDismiss)}
          {notice.retryNow && kitButton('primary', notice.retryLabel, onRetryNow)}
        </div>
      )}
    </section>
  );
});
