// @vitest-environment jsdom
// The render budget: while the banner and a toast count down for 30 s, the app around them renders no extra time,
// and the countdown's text changes once a second.
import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClaudeToaster, HighDemandBanner } from '../../src/components/index.js';
import { createClaudeClient } from '../../src/core/client.js';
import { ClaudeError } from '../../src/core/failure.js';
import { ClaudeProvider } from '../../src/react/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 27, 20, 0, 0) });
  for (const name of ['hasPointerCapture', 'setPointerCapture', 'releasePointerCapture'] as const) {
    Element.prototype[name] ??= (() => false) as never;
  }
});
afterEach(() => {
  vi.useRealTimers();
});

/** The app around the kit: it holds the banner and the toaster, and counts its own renders. */
function HostApp({ onRender }: { onRender: () => void }) {
  onRender();
  return (
    <>
      <HighDemandBanner />
      <main>
        <h1>The host app</h1>
      </main>
      <ClaudeToaster />
    </>
  );
}

describe('render budget', () => {
  it('renders the host zero extra times while the banner and toast count down 30 s, the countdown changing once a second', async () => {
    const client = createClaudeClient({ endpoint: 'http://localhost/api/claude' });
    const hostRenders = vi.fn();
    render(
      <ClaudeProvider client={client}>
        <HostApp onRender={hostRenders} />
      </ClaudeProvider>,
    );
    const rendersBefore = hostRenders.mock.calls.length;

    // A 429 asking for 31 s: the request waits 31–32 s, so the countdown runs a full 30 s.
    const tooMany = new ClaudeError({ kind: 'rate_limited', status: 429, message: 'Rate limited', retryAfterMs: 31_000 });
    const retryer = client.run(() => Promise.reject(tooMany));
    await act(() => vi.advanceTimersByTimeAsync(0));

    const banner = screen.getByRole('region', { name: 'Claude status' });
    // Said once: with the banner mounted, the toaster leaves the episode to it.
    expect(screen.getAllByText('Too many requests.', { exact: true })).toHaveLength(1);
    expect(screen.queryAllByRole('listitem')).toHaveLength(0);
    const countdown = banner.querySelector('[data-seconds]')!;
    expect(countdown).not.toBeNull();
    const texts = [countdown.textContent];
    const observer = new MutationObserver(() => texts.push(countdown.textContent));
    observer.observe(countdown, { characterData: true, childList: true, subtree: true });

    for (let second = 0; second < 30; second++) await act(() => vi.advanceTimersByTimeAsync(1_000));
    observer.disconnect();

    expect(hostRenders.mock.calls.length - rendersBefore).toBe(0);
    const distinct = texts.filter((text, i) => text !== texts[i - 1]);
    expect(distinct.length).toBeGreaterThanOrEqual(30);
    expect(distinct.length).toBeLessThanOrEqual(31);
    expect(distinct[1]).toMatch(/Retrying in \d+ s/);

    retryer.cancel();
    await act(() => vi.advanceTimersByTimeAsync(0));
    client.dispose();
  });
});
