// Node environment on purpose: no window, no document. Server rendering the whole kit must work there.
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { ClaudeProvider, ClaudeToaster, HighDemandBanner, RetryCountdown, useAnthropicStatus } from '../../src/index.js';

function StatusWatch() {
  useAnthropicStatus({ endpoint: '/api/status' });
  return null;
}

describe('server rendering the components', () => {
  it('renders the provider with the banner, the toaster and a countdown without a window, a request or a timer', () => {
    expect(typeof globalThis.window).toBe('undefined');
    const fetch = vi.fn();
    vi.stubGlobal('fetch', fetch);
    vi.useFakeTimers();
    try {
      const html = renderToString(
        <ClaudeProvider endpoint="/api/claude">
          <StatusWatch />
          <HighDemandBanner />
          <p>App</p>
          <RetryCountdown until={Date.now() + 5_000} />
          <ClaudeToaster />
        </ClaudeProvider>,
      );
      expect(html).toContain('<p>App</p>');
      // Normal on the server: no banner, no toast.
      expect(html).not.toContain('Claude status');
      expect(fetch).not.toHaveBeenCalled();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      vi.unstubAllGlobals();
    }
  });
});
