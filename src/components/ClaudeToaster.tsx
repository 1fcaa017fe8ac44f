import { forwardRef, type ElementRef } from 'react';
import type { OfferScope } from '../core/fallback.js';
import type * as Toast from '@radix-ui/react-toast';
import { useClaudeClient, useClaudeDemand, useClaudeMessages } from '../react/index.js';
import { ClaudeToasterView, type ClaudeToasterViewProps } from './ClaudeToasterView.js';
import { useBannerShown } from './presence.js';

export interface ClaudeToasterProps
  extends Omit<ClaudeToasterViewProps, 'demand' | 'messages' | 'onRetryNow' | 'onCancel' | 'onAcceptOffer' | 'onDeclineOffer'> {
  /**
   * What taking the fallback offer covers: `'episode'` also sends the requests that come while that model's overload
   * lasts to the fallback; `'request'` only the ones waiting now. Defaults to `'episode'`.
   */
  offerScope?: OfferScope;
}

/**
 * Drop-in toaster: one Radix toast per busy episode, following `useClaudeDemand()`, with "Retry now", "Cancel" and a
 * fallback offer's two buttons wired to the kit, and a "Back to normal" toast when the episode ends. With a
 * `<HighDemandBanner>` mounted it leaves the episode to the banner, offer included, and only marks its end (override
 * with `alongsideBanner={false}`).
 */
export const ClaudeToaster = /* @__PURE__ */ forwardRef<ElementRef<typeof Toast.Viewport>, ClaudeToasterProps>(function ClaudeToaster(
  { offerScope = 'episode', ...props },
  ref,
) {
  const client = useClaudeClient();
  const demand = useClaudeDemand();
  const messages = useClaudeMessages();
  const bannerShown = useBannerShown(client.demand);
  return (
    <ClaudeToasterView
      alongsideBanner={bannerShown}
      {...props}
      ref={ref}
      demand={demand}
      messages={messages}
      onRetryNow={demand.retryNow}
      onCancel={demand.cancel}
      onAcceptOffer={() => demand.offer?.accept?.(offerScope)}
      onDeclineOffer={() => demand.offer?.decline?.()}
    />
  );
});
