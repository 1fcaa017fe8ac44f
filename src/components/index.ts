export { HighDemandBanner, type HighDemandBannerProps } from './HighDemandBanner.js';
export { HighDemandBannerView, DEFAULT_STATUS_PAGE_URL, type HighDemandBannerViewProps } from './HighDemandBannerView.js';
export { ClaudeToaster, type ClaudeToasterProps } from './ClaudeToaster.js';
export { ClaudeToasterView, BACK_TO_NORMAL_DURATION_MS, EPISODE_SETTLE_MS, type ClaudeToasterViewProps } from './ClaudeToasterView.js';
export { RetryCountdown, type RetryCountdownProps } from './RetryCountdown.js';
export { RetryCountdownView, type RetryCountdownViewProps } from './RetryCountdownView.js';
