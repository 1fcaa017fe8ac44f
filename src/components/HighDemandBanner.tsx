import { useState } from 'react';
import { useClaudeDemand, useClaudeMessages } from '../react/index.js';
import { HighDemandBannerView, type HighDemandBannerViewProps } from './HighDemandBannerView.js';

export interface HighDemandBannerProps extends Pick<HighDemandBannerViewProps, 'statusPageUrl' | 'clock' | 'className'> {
  /** Show "Dismiss" when nothing is waiting (it hides the banner until the level or escalation changes). Defaults to true. */
  dismissible?: boolean;
}

/**
 * Drop-in banner: reads `useClaudeDemand()` and the provider's messages, renders nothing while normal, and wires
 * "Retry now" and "Cancel" to the kit. A dismissed banner comes back when the state changes.
 */
export function HighDemandBanner({ dismissible = true, ...props }: HighDemandBannerProps) {
  const demand = useClaudeDemand();
  const messages = useClaudeMessages();
  const [dismissed, setDismissed] = useState<string>();
  const key = `${demand.since ?? ''}|${demand.level}|${demand.escalation}`;
  if (dismissed === key) return null;
  return (
    <HighDemandBannerView
      {...props}
      demand={demand}
      messages={messages}
      onRetryNow={demand.retryNow}
      onCancel={demand.cancel}
      onDismiss={dismissible ? () => setDismissed(key) : undefined}
    />
  );
}
