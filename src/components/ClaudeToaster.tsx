import { forwardRef, type ElementRef } from 'react';
import type * as Toast from '@radix-ui/react-toast';
import { useClaudeClient, useClaudeDemand, useClaudeMessages } from '../react/index.js';
import { ClaudeToasterView, type ClaudeToasterViewProps } from './ClaudeToasterView.js';
import { useBannerShown } from './presence.js';

export type ClaudeToasterProps = Omit<ClaudeToasterViewProps, 'demand' | 'messages' | 'onRetryNow' | 'onCancel'>;

/**
 * Drop-in toaster: one Radix toast per busy episode, following `useClaudeDemand()`, with "Retry now" and "Cancel"
 * wired to the kit and a "Back to normal" toast when the episode ends. With a `<HighDemandBanner>` mounted it leaves
 * the episode to the banner and only marks its end (override with `alongsideBanner={false}`).
 */
export const ClaudeToaster = /* @__PURE__ */ forwardRef<ElementRef<typeof Toast.Viewport>, ClaudeToasterProps>(function ClaudeToaster(
  props,
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
    />
  );
});
