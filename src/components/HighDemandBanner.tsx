import { forwardRef, useState } from 'react';
import type { OfferScope } from '../core/fallback.js';
import { useClaudeClient, useClaudeDemand, useClaudeMessages } from '../react/index.js';
import { HighDemandBannerView, type HighDemandBannerViewProps } from './HighDemandBannerView.js';
import { useBannerMounted } from './presence.js';

export interface HighDemandBannerProps
  extends Omit<HighDemandBannerViewProps, 'demand' | 'messages' | 'onRetryNow' | 'onCancel' | 'onDismiss' | 'onAcceptOffer' | 'onDeclineOffer'> {
  /** Show "Dismiss" when nothing is waiting (it hides the banner until the level or escalation changes). Defaults to true. */
  dismissible?: boolean;
  /**
   * What taking the fallback offer covers: `'episode'` also sends the requests that come while that model's overload
   * lasts to the fallback; `'request'` only the ones waiting now. Defaults to `'episode'`.
   */
  offerScope?: OfferScope;
}

/**
 * Drop-in banner: reads `useClaudeDemand()` and the provider's messages, renders nothing while normal, and wires
 * "Retry now", "Cancel" and a fallback offer's two buttons to the kit. A dismissed banner comes back when the state
 * changes. While it is mounted, `<ClaudeToaster>` leaves the state to it (the offer included) and only marks the end
 * of an episode, so nothing is said twice.
 */
export const HighDemandBanner = /* @__PURE__ */ forwardRef<HTMLElement, HighDemandBannerProps>(function HighDemandBanner(
  { dismissible = true, offerScope = 'episode', ...props },
  ref,
) {
  const client = useClaudeClient();
  useBannerMounted(client.demand);
  const demand = useClaudeDemand();
  const messages = useClaudeMessages();
  const [dismissed, setDismissed] = useState<string>();
  const key = `${demand.since ?? ''}|${demand.level}|${demand.escalation}`;
  if (dismissed === key) return null;
  return (
    <HighDemandBannerView
      {...props}
      ref={ref}
      demand={demand}
      messages={messages}
      onRetryNow={demand.retryNow}
      onCancel={demand.cancel}
      onAcceptOffer={() => demand.offer?.accept?.(offerScope)}
      onDeclineOffer={() => demand.offer?.decline?.()}
      onDismiss={dismissible ? () => setDismissed(key) : undefined}
    />
  );
});
