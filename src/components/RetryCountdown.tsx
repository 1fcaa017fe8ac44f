import { useClaudeMessages } from '../react/index.js';
import { RetryCountdownView, type RetryCountdownViewProps } from './RetryCountdownView.js';

export type RetryCountdownProps = RetryCountdownViewProps;

/**
 * `<RetryCountdown until={epochMs} />`: "Retrying in 5 s…", then "Retrying…". Copy comes from the nearest
 * `ClaudeProvider` unless `messages` is given. Only this component re-renders each second.
 */
export function RetryCountdown(props: RetryCountdownProps) {
  const messages = useClaudeMessages();
  return <RetryCountdownView {...props} messages={props.messages ?? messages} />;
}
