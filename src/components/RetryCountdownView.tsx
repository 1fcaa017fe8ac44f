import { forwardRef, type HTMLAttributes } from 'react';
import type { Clock } from '../core/clock.js';
import { defaultMessages, type ClaudeMessages } from '../core/messages.js';
import { useRetryCountdown } from '../react/useRetryCountdown.js';
import { cx } from './cx.js';

export interface RetryCountdownViewProps extends Omit<HTMLAttributes<HTMLSpanElement>, 'children'> {
  /** Epoch ms of the next attempt. Undefined (or past) shows "Retrying…" while `retrying`, otherwise nothing. */
  until?: number;
  /** True while an attempt is on the wire: shows "Retrying…" whatever `until` says. Defaults to false. */
  retrying?: boolean;
  /**
   * True when nothing was sent yet (the app-wide wait after an overload holds a new request): the wait reads
   * "Sending in 8 s…", since it is not a retry. Defaults to false.
   */
  firstAttempt?: boolean;
  /**
   * True while the kit handler's line paces the request: `until` is its expected turn, the one wait on screen, and it
   * reads "Your turn in about 40 s." (then "Still in line…") whether or not the request is on its way back to its
   * place. Defaults to false.
   */
  turn?: boolean;
  /** Copy; defaults to the English `defaultMessages`. */
  messages?: ClaudeMessages;
  /** Time source for tests and stories. Defaults to the real clock. */
  clock?: Clock;
}

/**
 * "Retrying in 5 s…", then "Retrying…". The only component that re-renders each second. It is not a live region
 * (`aria-live="off"`): screen readers hear the state changes from the banner, not a number every second.
 * `className` is added to `cok-countdown`; other props and the ref go to the `<span>`.
 */
export const RetryCountdownView = /* @__PURE__ */ forwardRef<HTMLSpanElement, RetryCountdownViewProps>(function RetryCountdownView(
  { until, retrying = false, firstAttempt = false, turn = false, messages = defaultMessages, clock, className, ...rest },
  ref,
) {
  // In line, the request's trips back to its place are the line's business: the turn is what the person waits for.
  const onWire = retrying && !turn;
  const seconds = useRetryCountdown(onWire ? undefined : until, clock);
  const state = onWire || (until !== undefined && seconds === undefined) ? 'retrying' : 'waiting';
  if (state === 'waiting' && seconds === undefined) return null;
  const counting = turn
    ? (messages.turnIn ?? messages.retryingIn)
    : firstAttempt ? (messages.sendingIn ?? messages.retryingIn) : messages.retryingIn;
  const text =
    seconds === undefined
      ? (turn ? (messages.turnDue ?? messages.retrying) : messages.retrying)
      : counting(seconds, messages.locale);
  return (
    <span
      aria-live="off"
      {...rest}
      ref={ref}
      className={cx('cok-countdown', className)}
      data-state={state}
      // Lets apps and tests read the number without parsing localized copy.
      data-seconds={seconds}
    >
      {text}
    </span>
  );
});
