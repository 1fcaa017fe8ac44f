import type { Clock } from '../core/clock.js';
import { defaultMessages, type ClaudeMessages } from '../core/messages.js';
import { useRetryCountdown } from '../react/useRetryCountdown.js';

export interface RetryCountdownViewProps {
  /** Epoch ms of the next attempt. Undefined (or past) shows "Retrying…" while `retrying`, otherwise nothing. */
  until?: number;
  /** True while an attempt is on the wire: shows "Retrying…" whatever `until` says. Defaults to false. */
  retrying?: boolean;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /** Time source for tests and stories. Defaults to the real clock. */
  clock?: Clock;
  className?: string;
}

/**
 * "Retrying in 5 s…", then "Retrying…". The only component that re-renders each second. It is not a live region
 * (`aria-live="off"`): screen readers hear the state changes from the banner, not a number every second.
 */
export function RetryCountdownView({
  until,
  retrying = false,
  messages = defaultMessages,
  clock,
  className,
}: RetryCountdownViewProps) {
  const seconds = useRetryCountdown(retrying ? undefined : until, clock);
  const state = retrying || (until !== undefined && seconds === undefined) ? 'retrying' : 'waiting';
  if (state === 'waiting' && seconds === undefined) return null;
  return (
    <span
      className={className ?? 'cok-countdown'}
      data-state={state}
      aria-live="off"
      // Lets apps and tests read the number without parsing localized copy.
      data-seconds={seconds}
    >
      {seconds === undefined ? messages.retrying : messages.retryingIn(seconds, messages.locale)}
    </span>
  );
}
