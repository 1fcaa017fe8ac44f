// @vitest-environment jsdom
import { act, render, renderHook, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetryCountdownView } from '../../src/components/RetryCountdownView.js';
import { frenchMessages } from '../../src/core/messages-fr.js';
import { useRetryCountdown } from '../../src/react/useRetryCountdown.js';
import { NOW } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('useRetryCountdown', () => {
  it('returns undefined with nothing to wait for or a past instant', () => {
    expect(renderHook(() => useRetryCountdown(undefined)).result.current).toBeUndefined();
    expect(renderHook(() => useRetryCountdown(NOW - 1)).result.current).toBeUndefined();
  });

  it('rounds up and ticks when the whole second changes', async () => {
    const { result } = renderHook(() => useRetryCountdown(NOW + 2_500));
    expect(result.current).toBe(3);
    await act(() => vi.advanceTimersByTimeAsync(499));
    expect(result.current).toBe(3);
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(result.current).toBe(2);
    await act(() => vi.advanceTimersByTimeAsync(2000));
    expect(result.current).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('shares one timer between every countdown to the same instant, so a banner and a toast never disagree', async () => {
    const until = NOW + 5_300;
    const { container, unmount } = render(
      <>
        <RetryCountdownView until={until} />
        <RetryCountdownView until={until} />
      </>,
    );
    expect(vi.getTimerCount()).toBe(1);
    const texts = () => [...container.querySelectorAll('.cok-countdown')].map((node) => node.textContent);
    for (let step = 0; step < 12; step += 1) {
      await act(() => vi.advanceTimersByTimeAsync(450));
      const [first, second] = texts();
      expect(second).toBe(first);
    }
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says "Sending in" before a first attempt, and a translation without those words falls back to its retry words', () => {
    const { unmount } = render(<RetryCountdownView until={NOW + 8_000} firstAttempt />);
    expect(screen.getByText('Sending in 8 s…')).toBeTruthy();
    unmount();
    const { sendingIn: _sendingIn, sendNow: _sendNow, ...older } = frenchMessages;
    render(<RetryCountdownView until={NOW + 8_000} firstAttempt messages={older} />);
    expect(screen.getByText('Nouvel essai dans 8 s…')).toBeTruthy();
  });

  it('clears its timer on unmount', () => {
    const { unmount } = renderHook(() => useRetryCountdown(NOW + 60_000));
    expect(vi.getTimerCount()).toBe(1);
    unmount();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('uses an injected clock', () => {
    const clock = { now: () => 1_000, setTimeout: vi.fn(), clearTimeout: vi.fn(), random: () => 0 };
    const { result } = renderHook(() => useRetryCountdown(5_000, clock));
    expect(result.current).toBe(4);
    expect(clock.setTimeout).toHaveBeenCalledWith(expect.any(Function), 1000);
  });
});

describe('RetryCountdownView', () => {
  it('says "Retrying in 5 s…", then "Retrying…" when reached', async () => {
    render(<RetryCountdownView until={NOW + 5_000} />);
    expect(screen.getByText('Retrying in 5 s…')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(5_000));
    expect(screen.getByText('Retrying…')).toBeTruthy();
  });

  it('says "Retrying…" while an attempt is on the wire', () => {
    render(<RetryCountdownView until={NOW + 5_000} retrying />);
    expect(screen.getByText('Retrying…').dataset.state).toBe('retrying');
  });

  it('renders nothing with nothing scheduled', () => {
    const { container } = render(<RetryCountdownView />);
    expect(container.innerHTML).toBe('');
  });

  it('formats minutes and other locales with Intl', () => {
    const { rerender } = render(<RetryCountdownView until={NOW + 150_000} />);
    expect(screen.getByText('Retrying in 3 min…')).toBeTruthy();
    rerender(<RetryCountdownView until={NOW + 8_000} messages={frenchMessages} />);
    expect(screen.getByText(/^Nouvel essai dans 8\s+s…$/)).toBeTruthy();
  });
});
