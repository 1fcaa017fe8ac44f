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
  { until, retrying = false, firstAttempt = false, messages = defaultMessages, clock, className, ...rest },
  ref,
) {
  const seconds = useRetryCountdown(retrying ? undefined : until, clock);
  const state = retrying || (until !== undefined && seconds === undefined) ? 'retrying' : 'waiting';
  if (state === 'waiting' && seconds === undefined) return null;
  const text =
    seconds === undefined
      ? messages.retrying
      : (firstAttempt ? (messages.sendingIn ?? messages.retryingIn) : messages.retryingIn)(seconds, messages.locale);
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
