import * as Toast from '@radix-ui/react-toast';
import { forwardRef, useEffect, useState, type ComponentPropsWithoutRef, type ElementRef, type ReactNode } from 'react';
import { systemClock, type Clock } from '../core/clock.js';
import { defaultMessages, incidentText, type ClaudeMessages } from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';
import { cx } from './cx.js';
import { DEFAULT_STATUS_PAGE_URL } from './HighDemandBannerView.js';
import { StateIcon } from './icons.js';
import { ExternalLink, kitButton, visuallyHidden } from './links.js';
import { noticeFor } from './notice.js';
import { RetryCountdownView } from './RetryCountdownView.js';

/** How long "Back to normal" stays up; Radix pauses it on hover and focus. */
export const BACK_TO_NORMAL_DURATION_MS = 4000;
/**
 * How long calm must last before an episode counts as over. A stream that flaps (an answer, then an overload 0.7 s
 * later) stays one episode with one toast, and "Back to normal" is said once, when it is true for a while.
 */
export const EPISODE_SETTLE_MS = 2000;

export interface ClaudeToasterViewProps extends Omit<ComponentPropsWithoutRef<typeof Toast.Viewport>, 'children' | 'hotkey'> {
  /** The demand to follow. One toast per episode, updated in place. */
  demand: DemandSnapshot;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /** "Retry now" action, shown only when pressing it sends something; keeps the toast open. */
  onRetryNow?: () => void;
  /** "Cancel" action, shown only while something waits or is being retried; closes the episode's toast. */
  onCancel?: () => void;
  /**
   * "Answer with Claude Haiku 4.5 now — faster, less thorough", shown while `demand.offer` is set (a fallback chain
   * in `'offer'` mode) in place of "Retry now"; keeps the toast open until the answer ends the episode.
   */
  onAcceptOffer?: () => void;
  /** "Keep waiting" beside the offer: keeps waiting for the busy model and puts the offer away. */
  onDeclineOffer?: () => void;
  /**
   * A banner shows the same state elsewhere on the page: the toaster then says nothing during an episode and only
   * marks its end ("Back to normal"), so each change is announced once. `<ClaudeToaster>` sets it by itself.
   * Defaults to false.
   */
  alongsideBanner?: boolean;
  /** Show a short "Back to normal" toast when an episode ends with Claude answering. Defaults to true. */
  showBackToNormal?: boolean;
  /** How long "Back to normal" stays, in ms. Defaults to 4000. */
  backToNormalMs?: number;
  /** How long calm must last before the episode is over (see EPISODE_SETTLE_MS), in ms. Defaults to 2000. */
  settleMs?: number;
  /** Linked when the escalation sends people to the status page. Defaults to https://status.claude.com. */
  statusPageUrl?: string;
  /** Keys that focus the toast viewport (Radix). Defaults to ['F8']. */
  hotkey?: string[];
  /** Time source for the countdown and the settle time. Defaults to the real clock. */
  clock?: Clock;
}

/** An action that keeps its toast up (an action closes its toast in Radix; the episode goes on). */
const action = (altText: string, variant: 'primary' | 'ghost', label: ReactNode, onClick?: () => void) => (
  <Toast.Action asChild altText={altText}>
    {kitButton(variant, label, (event) => {
      event.preventDefault();
      onClick?.();
    })}
  </Toast.Action>
);

const closeButton = (messages: ClaudeMessages) => (
  <Toast.Close className="cok-toast-close" aria-label={messages.dismissAltText}>
    <span aria-hidden="true">×</span>
  </Toast.Close>
);

/** One run of trouble, possibly several demand episodes close together. */
interface Run {
  key: number;
  last: DemandSnapshot;
  closedByUser: boolean;
}

/**
 * The presentational toaster on Radix Toast: its Provider, Viewport, F8 hotkey, swipe, and pause on hover/focus
 * are kept. The busy toast never times out; it closes when the episode is over, on Cancel, or when dismissed.
 * `className` is added to `cok-toast-viewport`; other props and the ref go to the Radix viewport.
 */
export const ClaudeToasterView = /* @__PURE__ */ forwardRef<ElementRef<typeof Toast.Viewport>, ClaudeToasterViewProps>(function ClaudeToasterView(
  {
    demand,
    messages = defaultMessages,
    onRetryNow,
    onCancel,
    onAcceptOffer,
    onDeclineOffer,
    alongsideBanner = false,
    showBackToNormal = true,
    backToNormalMs = BACK_TO_NORMAL_DURATION_MS,
    settleMs = EPISODE_SETTLE_MS,
    statusPageUrl = DEFAULT_STATUS_PAGE_URL,
    hotkey = ['F8'],
    clock = systemClock,
    className,
    ...rest
  },
  ref,
) {
  const [run, setRun] = useState<Run>();
  const [recovered, setRecovered] = useState<number>();
  const calm = demand.level === 'normal';

  // Follow the demand during render (React's "adjusting state when a prop changes"): a new run starts a toast,
  // the same run updates it in place.
  if (!calm && run?.last !== demand) {
    setRun({ key: demand.since ?? clock.now(), closedByUser: false, ...run, last: demand });
    if (run === undefined && recovered !== undefined) setRecovered(undefined);
  }

  // Calm again: over at once after a cancel (nothing was answered), otherwise once calm has lasted `settleMs`.
  useEffect(() => {
    if (!calm || run === undefined) return undefined;
    if (!demand.recovered) {
      setRun(undefined);
      return undefined;
    }
    const handle = clock.setTimeout(() => {
      setRun(undefined);
      if (showBackToNormal && !run.closedByUser) setRecovered(run.key);
    }, settleMs);
    return () => clock.clearTimeout(handle);
  }, [calm, demand.recovered, run, clock, settleMs, showBackToNormal]);

  // While settling, the toast keeps its words but offers nothing: there is no wait left to skip or stop.
  const shown =
    calm && run
      ? { ...run.last, nextAttemptAt: undefined, retrying: false, waiting: 0, inFlight: 0, offer: undefined }
      : demand;
  const notice = noticeFor(shown, messages, {
    retryNow: onRetryNow !== undefined,
    cancel: onCancel !== undefined,
    offer: onAcceptOffer !== undefined,
  });

  const closeRun = (): void => setRun((current) => current && { ...current, closedByUser: true });

  // Radix says a toast once, when it opens. What changes while it is up (an offer of a faster model, the long-wait
  // escalation, a new headline) is said by a live region of our own, so people who do not see the toast hear it.
  // Settling (calm, the toast about to go) changes nothing worth saying: "Back to normal" follows.
  const speaking = run !== undefined && notice !== undefined && !alongsideBanner && !run.closedByUser;
  const said = speaking ? [notice.headline, notice.escalation, notice.offer?.accept].filter(Boolean).join(' ') : '';
  const [voice, setVoice] = useState({ key: undefined as number | undefined, said: '', live: '' });
  if (!calm && (voice.key !== run?.key || voice.said !== said)) {
    setVoice({ key: run?.key, said, live: speaking && voice.key === run.key ? said : '' });
  }

  return (
    <Toast.Provider swipeDirection="right" label={messages.bannerLabel}>
      {run !== undefined && notice !== undefined && !alongsideBanner && (
        <Toast.Root
          key={run.key}
          className="cok-toast"
          type="background"
          duration={Infinity}
          open={!run.closedByUser}
          onOpenChange={(open) => {
            if (!open) closeRun();
          }}
          data-level={shown.level}
          data-escalation={shown.escalation}
          // Radix owns data-state (open/closed); this drives the waiting ring.
          data-waiting={notice.state !== 'idle' ? '' : undefined}
        >
          <StateIcon name={notice.icon} />
          <div className="cok-body">
            <Toast.Title className="cok-toast-title">{notice.headline}</Toast.Title>
            <Toast.Description className="cok-toast-description">
              <RetryCountdownView
                until={shown.nextAttemptAt}
                retrying={shown.retrying}
                firstAttempt={notice.firstAttempt}
                turn={shown.line !== undefined}
                messages={messages}
                clock={clock}
              />
              {/* In line, its trips back to its place are not attempts the person would count. */}
              {shown.attempt > 1 && shown.line === undefined && (
                <span className="cok-attempt" data-attempt={shown.attempt}>
                  {messages.attempt(shown.attempt, messages.locale)}
                </span>
              )}
              {notice.escalation !== undefined && <span className="cok-escalation">{notice.escalation}</span>}
              {shown.incident && <span className="cok-incident">{incidentText(messages, shown.incident)}</span>}
              {notice.statusLink && (
                <span className="cok-status-link">
                  <ExternalLink href={statusPageUrl} label={messages.statusPageLink} messages={messages} />
                </span>
              )}
            </Toast.Description>
            {notice.offer && (
              <div className="cok-offer">
                {/* The episode goes on until the fallback answers, and ends with "Back to normal". */}
                {action(notice.offer.acceptAltText, 'primary', notice.offer.accept, onAcceptOffer)}
                {/* Declining keeps waiting, and the toast keeps counting down. */}
                {onDeclineOffer && action(notice.offer.decline, 'ghost', notice.offer.decline, onDeclineOffer)}
              </div>
            )}
            {(notice.retryNow || notice.cancel) && (
              <div className="cok-actions">
                {/* Cancel ends the episode, so Radix may close its toast; the others keep it up. */}
                {notice.cancel && (
                  <Toast.Action asChild altText={messages.cancelAltText}>
                    {kitButton('ghost', messages.cancel, onCancel)}
                  </Toast.Action>
                )}
                {notice.retryNow
                  && action(notice.firstAttempt ? notice.retryLabel : messages.retryNowAltText, 'primary', notice.retryLabel, onRetryNow)}
              </div>
            )}
          </div>
          {closeButton(messages)}
        </Toast.Root>
      )}
      {recovered !== undefined && (
        <Toast.Root
          key={`recovered-${recovered}`}
          className="cok-toast"
          type="background"
          data-level="normal"
          duration={backToNormalMs}
          onOpenChange={(open) => {
            if (!open) setRecovered(undefined);
          }}
        >
          <StateIcon name="circle-check" />
          <div className="cok-body">
            <Toast.Title className="cok-toast-title">{messages.backToNormal}</Toast.Title>
            <Toast.Description className="cok-toast-description">{messages.backToNormalDescription}</Toast.Description>
          </div>
          {closeButton(messages)}
        </Toast.Root>
      )}
      <Toast.Viewport
        {...rest}
        ref={ref}
        className={cx('cok-toast-viewport', className)}
        hotkey={hotkey}
        label={messages.notificationsLabel}
      />
      <div className="cok-live" role="status" aria-live="polite" aria-atomic="true" style={visuallyHidden}>
        {voice.live}
      </div>
    </Toast.Provider>
  );
});
