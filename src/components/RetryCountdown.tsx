import { forwardRef } from 'react';
import { useClaudeMessages } from '../react/index.js';
import { RetryCountdownView, type RetryCountdownViewProps } from './RetryCountdownView.js';

export type RetryCountdownProps = RetryCountdownViewProps;

/**
 * `<RetryCountdown until={epochMs} />`: "Retrying in 5 s…", then "Retrying…". Copy comes from the nearest
 * `ClaudeProvider` unless `messages` is given. Only this component re-renders each second.
 */
export const RetryCountdown = /* @__PURE__ */ forwardRef<HTMLSpanElement, RetryCountdownProps>(function RetryCountdown(props, ref) {
  const messages = useClaudeMessages();
  return <RetryCountdownView {...props} ref={ref} messages={props.messages ?? messages} />;
});
