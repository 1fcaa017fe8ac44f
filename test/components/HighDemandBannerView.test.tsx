// @vitest-environment jsdom
import { act, fireEvent, render, screen } from '@testing-library/react';
import { forwardRef, Profiler, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultMessages, mergeMessages } from '../../src/core/messages.js';
import { frenchMessages } from '../../src/core/messages-fr.js';
import type { DemandLevel, DemandSnapshot, EscalationStage } from '../../src/core/types.js';
import { HighDemandBannerView as BareBannerView, type HighDemandBannerViewProps } from '../../src/components/HighDemandBannerView.js';
import { demandOf, NORMAL, NOW, RAW_CODES, REQUEST_ID, WORDS } from './fixtures.js';

/** The view with every feature's words, as under a provider with escalation(), statusWatch() and fallbackOffers(). */
const HighDemandBannerView = forwardRef<HTMLElement, HighDemandBannerViewProps>(function HighDemandBannerView(props, ref) {
  return <BareBannerView messages={WORDS} {...props} ref={ref} />;
});

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

const HEADLINES: [DemandLevel, Partial<DemandSnapshot>, string][] = [
  ['busy', {}, 'Claude is busy right now.'],
  ['busy', { lastFailureKind: 'server_error' }, "Something went wrong on Claude's side."],
  ['busy', { lastFailureKind: 'network' }, 'Connection problem.'],
  ['rate_limited', { lastFailureKind: 'rate_limited' }, 'Too many requests.'],
  ['offline', { lastFailureKind: 'offline', nextAttemptAt: undefined }, "You're offline. We'll continue when you're back."],
  ['unavailable', { nextAttemptAt: undefined }, "Claude isn't available right now."],
  ['unavailable', { lastFailureKind: 'spend_limited', nextAttemptAt: undefined }, 'This app has reached its usage limit.'],
  ['incident', {}, 'Claude is having a service disruption.'],
];

describe('HighDemandBannerView', () => {
  it('renders nothing while normal', () => {
    const { container } = render(<HighDemandBannerView demand={NORMAL} onRetryNow={() => {}} />);
    expect(container.innerHTML).toBe('');
  });

  it.each(HEADLINES)('shows the %s headline (%o)', (level, overrides, headline) => {
    render(<HighDemandBannerView demand={demandOf({ level, ...overrides })} />);
    expect(screen.getByRole('status').textContent).toContain(headline);
  });

  it('tells of a busy Claude but offers no Retry now or Cancel while only background work waits', () => {
    const props = { onRetryNow: () => {}, onCancel: () => {} };
    const { rerender } = render(<HighDemandBannerView demand={demandOf({ backgroundOnly: true })} {...props} />);
    expect(screen.getByRole('status').textContent).toContain('Claude is busy right now.');
    expect(screen.queryByRole('button', { name: /Retry now|Cancel/ })).toBeNull();
    rerender(<HighDemandBannerView demand={demandOf()} {...props} />);
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
  });

  it('counts down to the next attempt once a second, then says it is retrying', async () => {
    render(<HighDemandBannerView demand={demandOf({}, 3)} />);
    expect(screen.getByText('Retrying in 3 s…')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByText('Retrying in 2 s…')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByText('Retrying in 1 s…')).toBeTruthy();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByText('Retrying…')).toBeTruthy();
  });

  it('keeps the countdown out of the live region, so ticks are not announced', () => {
    render(<HighDemandBannerView demand={demandOf()} />);
    const status = screen.getByRole('status');
    expect(status.getAttribute('aria-live')).toBe('polite');
    expect(status.textContent).not.toContain('Retrying');
    expect(screen.getByText('Retrying in 8 s…').getAttribute('aria-live')).toBe('off');
  });

  it('calls retryNow and cancel from its buttons', () => {
    const onRetryNow = vi.fn();
    const onCancel = vi.fn();
    render(<HighDemandBannerView demand={demandOf()} onRetryNow={onRetryNow} onCancel={onCancel} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onRetryNow).toHaveBeenCalledTimes(1);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('offers Dismiss instead of Cancel when nothing is waiting', () => {
    const onDismiss = vi.fn();
    render(
      <HighDemandBannerView
        demand={demandOf({ level: 'unavailable', nextAttemptAt: undefined, waiting: 0 })}
        onCancel={() => {}}
        onDismiss={onDismiss}
      />,
    );
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(onDismiss).toHaveBeenCalledTimes(1);
  });

  it('does not offer Retry now while offline or at the usage limit', () => {
    const props: Partial<HighDemandBannerViewProps> = { onRetryNow: () => {}, onCancel: () => {} };
    const { rerender } = render(<HighDemandBannerView demand={demandOf({ level: 'offline' })} {...props} />);
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    rerender(<HighDemandBannerView demand={demandOf({ level: 'unavailable', lastFailureKind: 'spend_limited' })} {...props} />);
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
  });

  it('does not offer Retry now when another try cannot help: the app server is not set up', () => {
    render(
      <HighDemandBannerView
        demand={demandOf({ level: 'unavailable', lastFailureKind: 'not_configured', waiting: 0, nextAttemptAt: undefined })}
        onRetryNow={() => {}}
        onDismiss={() => {}}
      />,
    );
    expect(screen.getByRole('status').textContent).toContain("its server isn't set up");
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Dismiss' })).toBeTruthy();
  });

  it('hides Retry now while the only attempt is in flight, since pressing it would send nothing', () => {
    render(
      <HighDemandBannerView
        demand={demandOf({ retrying: true, inFlight: 1, waiting: 0, nextAttemptAt: undefined })}
        onRetryNow={() => {}}
        onCancel={() => {}}
      />,
    );
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    expect(screen.getByText('Retrying…')).toBeTruthy();
  });

  it('says "Sending in" for the app-wide wait before anything was sent, never "Retrying" at attempt 0', () => {
    render(<HighDemandBannerView demand={demandOf({ attempt: 0 }, 8)} onRetryNow={() => {}} />);
    expect(screen.getByText('Sending in 8 s…')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Send now' })).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/Retrying|Attempt/);
  });

  it('does not guess at an incident it names, nor call a finished one slow', () => {
    const incident = { name: 'Elevated errors on Claude Opus', status: 'identified', impact: 'major' as const };
    const { rerender } = render(<HighDemandBannerView demand={demandOf({ level: 'incident', escalation: 'unusual', incident })} />);
    expect(screen.getByRole('status').textContent).not.toContain('there may be an incident');
    rerender(
      <HighDemandBannerView demand={demandOf({ level: 'incident', escalation: 'slow', waiting: 0, retrying: false, incident: { ...incident, status: 'resolved' } })} />,
    );
    expect(screen.getByRole('status').textContent).toContain('Anthropic reports the disruption is over.');
    expect(screen.getByRole('status').textContent).not.toContain('taking longer than usual');
  });

  it('never says the disruption is over, with a check mark, while something of the person\'s still waits', () => {
    const incident = { name: 'Elevated errors on Claude Opus', status: 'resolved', impact: 'major' as const };
    const { container } = render(
      <HighDemandBannerView demand={demandOf({ level: 'incident', waiting: 1, nextAttemptAt: Date.now() + 4_000, incident })} />,
    );
    expect(screen.getByRole('status').textContent).toContain('Claude is busy right now.');
    expect(screen.getByRole('status').textContent).not.toContain('disruption is over');
    expect(container.querySelector('svg[data-icon]')!.getAttribute('data-icon')).toBe('hourglass');
  });

  it('announces "you\'re in line" once and shows the expected turn, the one duration, outside the live region', () => {
    const now = Date.now();
    const demand = demandOf({ level: 'busy', waiting: 0, retrying: true, line: { ahead: 3, expectedWaitMs: 16_000 }, nextAttemptAt: now + 16_000 });
    const { container, rerender } = render(<HighDemandBannerView demand={demand} />);
    const live = screen.getByRole('status');
    expect(live.textContent).toBe("Claude is busy — you're in line.");
    const countdown = container.querySelector('.cok-countdown')!;
    expect(countdown.getAttribute('aria-live')).toBe('off');
    expect(countdown.textContent).toMatch(/^Your turn in about 1[56] s\.$/);
    // A new estimate from the handler changes the figure, never the announced text.
    rerender(<HighDemandBannerView demand={{ ...demand, line: { ahead: 1, expectedWaitMs: 26_000 }, nextAttemptAt: now + 26_000 }} />);
    expect(screen.getByRole('status').textContent).toBe("Claude is busy — you're in line.");
    expect(container.textContent!.match(/\d+ s/g)).toHaveLength(1);
  });

  it('shows a different icon for each state, hidden from screen readers', () => {
    const icons = new Set<string>();
    const levels: DemandLevel[] = ['busy', 'rate_limited', 'offline', 'incident', 'unavailable'];
    for (const level of levels) {
      const { container, unmount } = render(<HighDemandBannerView demand={demandOf({ level })} />);
      const icon = container.querySelector('svg[data-icon]')!;
      expect(icon.closest('[aria-hidden="true"]')).not.toBeNull();
      icons.add(icon.getAttribute('data-icon')!);
      unmount();
    }
    expect(icons.size).toBe(levels.length);
  });

  it('adds className to its own class and forwards the ref and other props', () => {
    const ref = { current: null as HTMLElement | null };
    render(<HighDemandBannerView demand={demandOf()} className="app-banner" id="claude-banner" ref={ref} />);
    const banner = screen.getByRole('region', { name: 'Claude status' });
    expect(banner.className).toBe('cok-banner app-banner');
    expect(banner.id).toBe('claude-banner');
    expect(ref.current).toBe(banner);
  });

  it('keeps the request id and the status page behind Details', () => {
    render(<HighDemandBannerView demand={demandOf()} />);
    const details = screen.getByText('Details').closest('details');
    expect(details?.open).toBe(false);
    expect(details?.textContent).toContain(REQUEST_ID);
    expect(screen.getByRole('status').textContent).not.toContain(REQUEST_ID);
    const link = screen.getByRole('link', { name: /Claude status page/ });
    expect(link.getAttribute('href')).toBe('https://status.claude.com');
  });

  it.each<[EscalationStage, string]>([
    ['slow', 'This is taking longer than usual.'],
    ['unusual', 'there may be an incident'],
    ['contact', "We've let the team know."],
  ])('announces the %s escalation in the live region', (escalation, text) => {
    render(<HighDemandBannerView demand={demandOf({ escalation })} />);
    expect(screen.getByRole('status').textContent).toContain(text);
  });

  it('shows an incident from the status page in plain words', () => {
    const incident = { name: 'Elevated errors on Claude', status: 'monitoring', impact: 'major', url: 'https://stspg.io/x' };
    render(<HighDemandBannerView demand={demandOf({ level: 'incident', incident })} />);
    const link = screen.getByRole('link', { name: /Anthropic reports: Elevated errors on Claude — Monitoring a fix/ });
    expect(link.getAttribute('href')).toBe('https://stspg.io/x');
  });

  it('never shows a raw status code or error type, in any state', () => {
    const states: DemandSnapshot[] = [
      ...HEADLINES.map(([level, overrides]) => demandOf({ level, ...overrides })),
      ...(['slow', 'unusual', 'contact'] as const).map((escalation) => demandOf({ escalation })),
      demandOf({ retrying: true }),
      demandOf({ incident: { name: 'Degraded performance', status: 'investigating', impact: 'minor' } }),
    ];
    for (const demand of states) {
      for (const messages of [WORDS, frenchMessages]) {
        const { container, unmount } = render(
          <HighDemandBannerView demand={demand} messages={messages} onRetryNow={() => {}} onCancel={() => {}} onDismiss={() => {}} />,
        );
        const text = (container.textContent ?? '').replace(REQUEST_ID, '');
        for (const raw of RAW_CODES) expect(text).not.toContain(raw);
        unmount();
      }
    }
  });

  it('takes its copy from messages, key by key', () => {
    render(<HighDemandBannerView demand={demandOf()} messages={mergeMessages(defaultMessages, { retryNow: 'Try again' })} onRetryNow={() => {}} />);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
    expect(screen.getByText('Claude is busy right now.')).toBeTruthy();
  });

  it('renders the host zero extra times while the countdown ticks for ten seconds', async () => {
    let hostRenders = 0;
    const commits: string[] = [];
    // Calling the view as a function makes its hooks the host's: a ticking hook in the view would count here.
    function Host(props: HighDemandBannerViewProps) {
      hostRenders += 1;
      return (HighDemandBannerView as unknown as { render: (p: HighDemandBannerViewProps, ref: null) => ReactNode }).render(
        props,
        null,
      );
    }
    render(
      <Profiler id="banner" onRender={(_id, phase) => commits.push(phase)}>
        <Host demand={demandOf({}, 20)} />
      </Profiler>,
    );
    for (let second = 0; second < 10; second += 1) {
      await act(() => vi.advanceTimersByTimeAsync(1000));
    }
    expect(screen.getByText('Retrying in 10 s…')).toBeTruthy();
    expect(hostRenders).toBe(1);
    expect(commits.filter((phase) => phase === 'update')).toHaveLength(10);
  });
  it('offers the fallback model in place of Retry now, and passes each choice to its handler', () => {
    const onAcceptOffer = vi.fn();
    const onDeclineOffer = vi.fn();
    const onRetryNow = vi.fn();
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    render(
      <HighDemandBannerView
        demand={demandOf({ offer })}
        onRetryNow={onRetryNow}
        onCancel={() => {}}
        onAcceptOffer={onAcceptOffer}
        onDeclineOffer={onDeclineOffer}
      />,
    );
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' }));
    fireEvent.click(screen.getByRole('button', { name: 'Keep waiting' }));
    expect(onAcceptOffer).toHaveBeenCalledTimes(1);
    expect(onDeclineOffer).toHaveBeenCalledTimes(1);
    expect(onRetryNow).not.toHaveBeenCalled();
  });

  it('announces an offer that appears mid-episode with the headline, in the live region', () => {
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    const { rerender } = render(<HighDemandBannerView demand={demandOf()} onAcceptOffer={() => {}} />);
    expect(screen.getByRole('status').textContent).not.toContain('Haiku');
    rerender(<HighDemandBannerView demand={demandOf({ offer })} onAcceptOffer={() => {}} />);
    expect(screen.getByRole('status').textContent).toContain('Claude is busy right now. Answer with Claude Haiku 4.5 now — faster, less thorough');
  });

  it('shows no offer offline, at the usage limit, or without a handler to take it', () => {
    const offer = { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' };
    const accept = /Answer with/;
    const { rerender } = render(<HighDemandBannerView demand={demandOf({ offer })} onDeclineOffer={() => {}} />);
    expect(screen.queryByRole('button', { name: accept })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Keep waiting' })).toBeNull();
    rerender(<HighDemandBannerView demand={demandOf({ offer, level: 'offline', lastFailureKind: 'offline' })} onAcceptOffer={() => {}} />);
    expect(screen.queryByRole('button', { name: accept })).toBeNull();
    rerender(<HighDemandBannerView demand={demandOf({ offer, lastFailureKind: 'spend_limited', level: 'unavailable' })} onAcceptOffer={() => {}} />);
    expect(screen.queryByRole('button', { name: accept })).toBeNull();
    rerender(<HighDemandBannerView demand={demandOf({ offer })} onAcceptOffer={() => {}} />);
    expect(screen.getByRole('button', { name: accept })).toBeTruthy();
  });

  it('words the offer in the messages given, the model name included', () => {
    const messages = mergeMessages(WORDS, {
      modelName: (model) => (model === 'claude-haiku-4-5' ? 'Quick' : model),
      offerFallback: (model) => `Ask ${model}`,
      declineFallback: 'Wait',
    });
    render(
      <HighDemandBannerView
        demand={demandOf({ offer: { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' } })}
        messages={messages}
        onAcceptOffer={() => {}}
        onDeclineOffer={() => {}}
      />,
    );
    expect(screen.getByRole('button', { name: 'Ask Quick' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Wait' })).toBeTruthy();
  });

  it('says nothing of escalation, incidents or offers without their features\' words, and still shows the wait', () => {
    const incident = { name: 'Elevated errors on Claude', status: 'monitoring', impact: 'major' };
    const { rerender } = render(<BareBannerView demand={demandOf({ escalation: 'contact' })} onRetryNow={() => {}} />);
    const region = screen.getByRole('region', { name: 'Claude status' });
    expect(region.textContent).toContain('Claude is busy right now.');
    expect(region.textContent).not.toMatch(/longer than usual|let the team know|unusually long/);
    rerender(<BareBannerView demand={demandOf({ offer: { model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' } })} onAcceptOffer={() => {}} onRetryNow={() => {}} />);
    expect(screen.queryByRole('button', { name: /Haiku/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Retry now' })).toBeTruthy();
    rerender(<BareBannerView demand={demandOf({ level: 'incident', incident })} />);
    expect(screen.getByRole('region', { name: 'Claude status' }).textContent).not.toContain('Anthropic reports');
  });
});
