import * as Toast from '@radix-ui/react-toast';
import { useEffect, useRef, useState } from 'react';
import type { Clock } from '../core/clock.js';
import { defaultMessages, escalationFor, headlineFor, incidentText, type ClaudeMessages } from '../core/messages.js';
import type { DemandSnapshot } from '../core/types.js';
import { RetryCountdownView } from './RetryCountdownView.js';

/** How long "Back to normal" stays up; Radix pauses it on hover and focus. */
export const BACK_TO_NORMAL_DURATION_MS = 4000;

export interface ClaudeToasterViewProps {
  /** The demand to follow. One toast per episode (keyed by `demand.since`), updated in place. */
  demand: DemandSnapshot;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /** "Retry now" action; keeps the toast open. Hidden when absent or offline. */
  onRetryNow?: () => void;
  /** "Cancel" action; closes the episode's toast. Hidden when absent. */
  onCancel?: () => void;
  /** Show a short "Back to normal" toast when an episode ends on its own. Defaults to true. */
  showBackToNormal?: boolean;
  /** How long "Back to normal" stays, in ms. Defaults to 4000. */
  backToNormalDuration?: number;
  /** Keys that focus the toast viewport (Radix). Defaults to ['F8']. */
  hotkey?: string[];
  /** Time source for the countdown. Defaults to the real clock. */
  clock?: Clock;
  /** Class of the Radix viewport. Defaults to "cok-toast-viewport". */
  className?: string;
}

/**
 * The presentational toaster on Radix Toast: its Provider, Viewport, F8 hotkey, swipe, and pause on hover/focus
 * are kept. The busy toast never times out; it closes when the episode ends, on Cancel, or when dismissed.
 */
export function ClaudeToasterView({
  demand,
  messages = defaultMessages,
  onRetryNow,
  onCancel,
  showBackToNormal = true,
  backToNormalDuration = BACK_TO_NORMAL_DURATION_MS,
  hotkey = ['F8'],
  clock,
  className = 'cok-toast-viewport',
}: ClaudeToasterViewProps) {
  const headline = headlineFor(messages, demand);
  const episode = demand.level === 'normal' ? undefined : (demand.since ?? 0);
  const [closedEpisode, setClosedEpisode] = useState<number>();
  const [recovered, setRecovered] = useState<number>();
  const lastEpisode = useRef<{ since: number; closedByUser: boolean }>(undefined);

  useEffect(() => {
    if (episode !== undefined) {
      if (lastEpisode.current?.since !== episode) lastEpisode.current = { since: episode, closedByUser: false };
      return;
    }
    const ended = lastEpisode.current;
    lastEpisode.current = undefined;
    // Only when Claude answered again: an episode the person cancelled did not end "back to normal".
    if (ended && !ended.closedByUser && showBackToNormal && demand.recovered) setRecovered(ended.since);
  }, [episode, showBackToNormal, demand.recovered]);

  const closeEpisode = (): void => {
    if (episode === undefined) return;
    setClosedEpisode(episode);
    if (lastEpisode.current) lastEpisode.current.closedByUser = true;
  };

  const escalation = escalationFor(messages, demand.escalation);
  const somethingToRetry = demand.retrying || demand.nextRetryAt !== undefined || demand.level === 'unavailable';
  const canRetry =
    onRetryNow !== undefined && demand.level !== 'offline' && demand.lastFailureKind !== 'spend_limited' && somethingToRetry;

  return (
    <Toast.Provider swipeDirection="right" label={messages.bannerLabel}>
      {episode !== undefined && headline !== undefined && (
        <Toast.Root
          key={episode}
          className="cok-toast"
          type="background"
          duration={Infinity}
          open={closedEpisode !== episode}
          onOpenChange={(open) => {
            if (!open) closeEpisode();
          }}
          data-level={demand.level}
          data-escalation={demand.escalation}
          // Radix owns data-state (open/closed); this drives the waiting pulse.
          data-waiting={demand.retrying || demand.nextRetryAt !== undefined ? '' : undefined}
        >
          <span className="cok-indicator" aria-hidden="true" />
          <div className="cok-body">
            <Toast.Title className="cok-toast-title">{headline}</Toast.Title>
            <Toast.Description className="cok-toast-description">
              <RetryCountdownView until={demand.nextRetryAt} retrying={demand.retrying} messages={messages} clock={clock} />
              {demand.attempt > 1 && (
                <span className="cok-attempt" data-attempt={demand.attempt}>
                  {messages.attempt(demand.attempt, messages.locale)}
                </span>
              )}
              {escalation !== undefined && <span className="cok-escalation">{escalation}</span>}
              {demand.incident && <span className="cok-incident">{incidentText(messages, demand.incident)}</span>}
            </Toast.Description>
            {(canRetry || onCancel) && (
              <div className="cok-actions">
                {onCancel && (
                  <Toast.Action asChild altText={messages.cancelAltText}>
                    <button type="button" className="cok-button" data-variant="ghost" onClick={onCancel}>
                      {messages.cancel}
                    </button>
                  </Toast.Action>
                )}
                {canRetry && (
                  <Toast.Action asChild altText={messages.retryNowAltText}>
                    <button
                      type="button"
                      className="cok-button"
                      data-variant="primary"
                      onClick={(event) => {
                        // An action closes its toast in Radix; the episode goes on, so this one stays.
                        event.preventDefault();
                        onRetryNow?.();
                      }}
                    >
                      {messages.retryNow}
                    </button>
                  </Toast.Action>
                )}
              </div>
            )}
          </div>
          <Toast.Close className="cok-toast-close" aria-label={messages.dismissAltText}>
            <span aria-hidden="true">×</span>
          </Toast.Close>
        </Toast.Root>
      )}
      {recovered !== undefined && (
        <Toast.Root
          key={`recovered-${recovered}`}
          className="cok-toast"
          type="background"
          data-level="normal"
          duration={backToNormalDuration}
          onOpenChange={(open) => {
            if (!open) setRecovered(undefined);
          }}
        >
          <span className="cok-indicator" aria-hidden="true" />
          <div className="cok-body">
            <Toast.Title className="cok-toast-title">{messages.backToNormal}</Toast.Title>
            <Toast.Description className="cok-toast-description">{messages.backToNormalDescription}</Toast.Description>
          </div>
          <Toast.Close className="cok-toast-close" aria-label={messages.dismissAltText}>
            <span aria-hidden="true">×</span>
          </Toast.Close>
        </Toast.Root>
      )}
      <Toast.Viewport className={className} hotkey={hotkey} label={messages.notificationsLabel} />
    </Toast.Provider>
  );
}
