export { HighDemandBanner, type HighDemandBannerProps } from './HighDemandBanner.js';
export { HighDemandBannerView, type HighDemandBannerViewProps } from './HighDemandBannerView.js';
export { ClaudeToaster, type ClaudeToasterProps } from './ClaudeToaster.js';
export { ClaudeToasterView, type ClaudeToasterViewProps } from './ClaudeToasterView.js';
export { RetryCountdown, type RetryCountdownProps } from './RetryCountdown.js';
export { RetryCountdownView, type RetryCountdownViewProps } from './RetryCountdownView.js';
