import { useClaudeDemand, useClaudeMessages } from '../react/index.js';
import { ClaudeToasterView, type ClaudeToasterViewProps } from './ClaudeToasterView.js';

export type ClaudeToasterProps = Omit<ClaudeToasterViewProps, 'demand' | 'messages' | 'onRetryNow' | 'onCancel'>;

/**
 * Drop-in toaster: one Radix toast per busy episode, following `useClaudeDemand()`, with "Retry now" and "Cancel"
 * wired to the kit and an optional "Back to normal" toast when the episode ends.
 */
export function ClaudeToaster(props: ClaudeToasterProps) {
  const demand = useClaudeDemand();
  const messages = useClaudeMessages();
  return (
    <ClaudeToasterView
      {...props}
      demand={demand}
      messages={messages}
      onRetryNow={demand.retryNow}
      onCancel={demand.cancel}
    />
  );
}
