// @vitest-environment jsdom
import { act, fireEvent, render, screen } from '@testing-library/react';
import { forwardRef, type ElementRef } from 'react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClaudeToasterView as BareToasterView, EPISODE_SETTLE_MS, type ClaudeToasterViewProps } from '../../src/components/ClaudeToasterView.js';
import { demandOf, NORMAL, NOW, RAW_CODES, REQUEST_ID, WORDS } from './fixtures.js';

/** The view with every feature's words, as under a provider with escalation(), statusWatch() and fallbackOffers(). */
const ClaudeToasterView = forwardRef<ElementRef<typeof BareToasterView>, ClaudeToasterViewProps>(function ClaudeToasterView(props, ref) {
  return <BareToasterView messages={WORDS} {...props} ref={ref} />;
});

beforeAll(() => {
  // Radix Toast's swipe handling calls these; jsdom lacks them.
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.setPointerCapture ??= () => {};
  Element.prototype.releasePointerCapture ??= () => {};
});
beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

const toasts = () => screen.queryAllByRole('listitem');

describe('ClaudeToasterView', () => {
  it('shows nothing while normal', () => {
    render(<ClaudeToasterView demand={NORMAL} />);
    expect(toasts()).toHaveLength(0);
  });

  it('opens one toast for an episode and updates it in place', async () => {
    const { rerender } = render(<ClaudeToasterView demand={demandOf({ attempt: 2 }, 8)} />);
    expect(toasts()).toHaveLength(1);
    expect(screen.getByText('Claude is busy right now.', { selector: '.cok-toast-title' })).toBeTruthy();
    expect(screen.getByText('Retrying in 8 s…')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(3000));
    expect(screen.getByText('Retrying in 5 s…')).toBeTruthy();

    // Another request of the same episode fails: same toast, new attempt and countdown.
    rerender(<ClaudeToasterView demand={demandOf({ attempt: 3, nextAttemptAt: Date.now() + 12_000 })} />);
    expect(toasts()).toHaveLength(1);
    expect(screen.getByText('Attempt 3', { selector: '.cok-attempt' })).toBeTruthy();
    expect(screen.getByText('Retrying in 12 s…')).toBeTruthy();
  });

  it('keeps the toast open on Retry now and closes it on Cancel', async () => {
    const onRetryNow = vi.fn();
    const onCancel = vi.fn();
    render(<ClaudeToasterView demand={demandOf()} onRetryNow={onRetryNow} onCancel={onCancel} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetryNow).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(500));
    expect(toasts()).toHaveLength(1);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(500));
    expect(toasts()).toHaveLength(0);
  });

  it('says "Back to normal" when an episode ends with Claude answering, then lets it go', async () => {
    const { rerender } = render(<ClaudeToasterView demand={demandOf()} />);
    rerender(<ClaudeToasterView demand={{ ...NORMAL, recovered: true }} />);
    // Not at once: calm has to last EPISODE_SETTLE_MS first.
    await act(() => vi.advanceTimersByTimeAsync(EPISODE_SETTLE_MS - 1));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(1));
    expect(screen.getByText('Back to normal', { selector: '.cok-toast-title' })).toBeTruthy();
    expect(toasts()).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(5000));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
  });

  it('keeps "Back to normal" up as long as backToNormalMs asks', async () => {
    const props = { backToNormalMs: 10_000 };
    const { rerender } = render(<ClaudeToasterView demand={demandOf()} {...props} />);
    rerender(<ClaudeToasterView demand={{ ...NORMAL, recovered: true }} {...props} />);
    await act(() => vi.advanceTimersByTimeAsync(EPISODE_SETTLE_MS - 1));
    await act(() => vi.advanceTimersByTimeAsync(1));
    // Past the default 4 s, still up.
    await act(() => vi.advanceTimersByTimeAsync(5_000));
    expect(screen.getByText('Back to normal', { selector: '.cok-toast-title' })).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
  });

  it('skips "Back to normal" when the episode ended without an answer (a request stopped elsewhere)', async () => {
    const { rerender } = render(<ClaudeToasterView demand={demandOf()} />);
    rerender(<ClaudeToasterView demand={NORMAL} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
  });

  it('skips "Back to normal" when the person cancelled, or when switched off', async () => {
    const { rerender } = render(<ClaudeToasterView demand={demandOf()} onCancel={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    rerender(<ClaudeToasterView demand={NORMAL} onCancel={() => {}} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();

    rerender(<ClaudeToasterView demand={demandOf({ since: NOW + 1 })} showBackToNormal={false} />);
    rerender(<ClaudeToasterView demand={NORMAL} showBackToNormal={false} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
  });

  it('keeps one toast through a flapping stream: an answer, then an overload 0.7 s later, says nothing in between', async () => {
    const first = demandOf({ since: NOW - 5_000 });
    const { rerender } = render(<ClaudeToasterView demand={first} onRetryNow={() => {}} />);
    const toast = toasts()[0];
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
    rerender(<ClaudeToasterView demand={{ ...NORMAL, recovered: true }} onRetryNow={() => {}} />);
    await act(() => vi.advanceTimersByTimeAsync(700));
    // While it settles, the toast keeps its words but offers no wait to skip or stop.
    expect(toasts()).toEqual([toast]);
    expect(toast!.querySelector('.cok-countdown')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    rerender(<ClaudeToasterView demand={demandOf({ since: Date.now(), attempt: 1 }, 4)} />);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(toasts()).toEqual([toast]);
    expect(screen.getByText('Retrying in 4 s…')).toBeTruthy();
    expect(screen.queryByText('Back to normal', { selector: '.cok-toast-title' })).toBeNull();
    // Radix announces a toast when it mounts; the toast was never remounted, so the second overload was not announced,
    // and the toaster's own voice (for changes while a toast is up) had nothing new to say.
    expect(document.querySelectorAll('[role="status"][aria-live="polite"]:not(.cok-live)').length).toBeLessThanOrEqual(1);
    expect(document.querySelector('.cok-live')?.textContent).toBe('');
  });

  it('says nothing during an episode alongside a banner, and only marks its end', async () => {
    const { rerender } = render(<ClaudeToasterView demand={demandOf()} alongsideBanner onRetryNow={() => {}} />);
    expect(toasts()).toHaveLength(0);
    rerender(<ClaudeToasterView demand={{ ...NORMAL, recovered: true }} alongsideBanner />);
    await act(() => vi.advanceTimersByTimeAsync(EPISODE_SETTLE_MS));
    expect(screen.getByText('Back to normal', { selector: '.cok-toast-title' })).toBeTruthy();
  });

  it('offers Retry now only when pressing it sends something, and Cancel only when something waits', () => {
    const actions = { onRetryNow: () => {}, onCancel: () => {} };
    const { rerender } = render(
      <ClaudeToasterView demand={demandOf({ retrying: true, inFlight: 1, waiting: 0, nextAttemptAt: undefined })} {...actions} />,
    );
    // An attempt is on the wire and nothing else waits: Retry now would send nothing.
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    rerender(<ClaudeToasterView demand={demandOf({ level: 'unavailable', waiting: 0, nextAttemptAt: undefined })} {...actions} />);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('shows the app-wide wait before a first attempt as a wait to send, not a retry', () => {
    render(<ClaudeToasterView demand={demandOf({ attempt: 0 }, 8)} onRetryNow={() => {}} />);
    expect(screen.getByText('Sending in 8 s…')).toBeTruthy();
    expect(screen.queryByText(/Retrying/)).toBeNull();
    expect(screen.getByRole('button', { name: 'Send now' })).toBeTruthy();
  });

  it('links the status page when its escalation says to check it', () => {
    render(<ClaudeToasterView demand={demandOf({ escalation: 'unusual' })} statusPageUrl="https://status.example.com" />);
    expect(screen.getByRole('link', { name: /Claude status page/ }).getAttribute('href')).toBe('https://status.example.com');
  });

  it('adds className to its own classes and forwards the ref and other props to the viewport', () => {
    const ref = { current: null as HTMLOListElement | null };
    render(<ClaudeToasterView demand={demandOf()} className="app-toasts" data-testid="toasts" ref={ref} />);
    const viewport = screen.getByTestId('toasts');
    expect(viewport.className).toBe('cok-toast-viewport app-toasts');
    expect(ref.current).toBe(viewport);
  });

  it('gives every action an altText and never shows raw codes', () => {
    const { container } = render(
      <ClaudeToasterView demand={demandOf({ escalation: 'unusual' })} onRetryNow={() => {}} onCancel={() => {}} />,
    );
    const altTexts = [...container.ownerDocument.querySelectorAll('[data-radix-toast-announce-exclude]')].map(
      (node) => node.getAttribute('data-radix-toast-announce-alt'),
    );
    expect(altTexts).toEqual(expect.arrayContaining(['Stop retrying', 'Retry the request now']));
    const text = (container.ownerDocument.body.textContent ?? '').replace(REQUEST_ID, '');
    for (const raw of RAW_CODES) expect(text).not.toContain(raw);
  });

  it('keeps the F8 hotkey on the viewport', () => {
    render(<ClaudeToasterView demand={demandOf()} />);
    expect(screen.getByRole('region', { name: 'Notifications (F8)' })).toBeTruthy();
  });
  it('offers the fallback model with an altText for each choice, keeps the toast open on either, and stays quiet beside a banner', async () => {
    const onAcceptOffer = vi.fn();
    const onDeclineOffer = vi.fn();
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    const props = { onRetryNow: () => {}, onCancel: () => {}, onAcceptOffer, onDeclineOffer };
    const { rerender } = render(<ClaudeToasterView demand={demandOf({ offer })} {...props} />);
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    const altTexts = [...document.querySelectorAll('[data-radix-toast-announce-exclude]')].map((node) =>
      node.getAttribute('data-radix-toast-announce-alt'),
    );
    expect(altTexts).toEqual(expect.arrayContaining(['Have Claude Haiku 4.5 answer instead of waiting', 'Keep waiting']));
    fireEvent.click(screen.getByRole('button', { name: 'Keep waiting' }));
    fireEvent.click(screen.getByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' }));
    expect(onDeclineOffer).toHaveBeenCalledTimes(1);
    expect(onAcceptOffer).toHaveBeenCalledTimes(1);
    await act(() => vi.advanceTimersByTimeAsync(500));
    expect(toasts()).toHaveLength(1);
    rerender(<ClaudeToasterView demand={demandOf({ offer })} {...props} alongsideBanner />);
    expect(screen.queryByRole('button', { name: /Answer with/ })).toBeNull();
  });

  it('says an offer that appears while the toast is up, which Radix announces only when a toast opens', async () => {
    const props = { onRetryNow: () => {}, onCancel: () => {}, onAcceptOffer: () => {} };
    const live = () => document.querySelector('.cok-live');
    const { rerender } = render(<ClaudeToasterView demand={demandOf({ attempt: 2 })} {...props} />);
    // Opening is Radix's to say; ours stays silent so nothing is said twice.
    expect(live()?.textContent).toBe('');
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    rerender(<ClaudeToasterView demand={demandOf({ attempt: 3, offer })} {...props} />);
    expect(live()?.textContent).toBe('Claude is busy right now. Answer with Claude Haiku 4.5 now — faster, less thorough');
    // Beside a banner the banner says it, once.
    rerender(<ClaudeToasterView demand={demandOf({ attempt: 3, offer: { ...offer, model: 'claude-haiku-4-6' } })} {...props} alongsideBanner />);
    expect(live()?.textContent).toBe('');
  });

  it('says nothing of escalation or offers without their features\' words, and still counts down', () => {
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    render(<BareToasterView demand={demandOf({ escalation: 'unusual', offer })} onAcceptOffer={() => {}} onRetryNow={() => {}} />);
    expect(toasts()).toHaveLength(1);
    expect(screen.getByText('Retrying in 8 s…')).toBeTruthy();
    expect(toasts()[0]!.textContent).not.toMatch(/unusually long|Haiku/);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
  });
});
