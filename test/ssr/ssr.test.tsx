// Node environment on purpose: rendering on the server must neither throw nor reach for the DOM, the network or a
// timer.
import type { ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { ClaudeToaster, HighDemandBanner, RetryCountdown } from '../../src/components/index.js';
import { ClaudeProvider, useClaudeClient, useClaudeMessages } from '../../src/react/context.js';
import { escalation } from '../../src/core/escalation.js';
import { fallbackOffers } from '../../src/core/offers.js';
import { statusWatch, useAnthropicStatus } from '../../src/features/status.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeMutation } from '../../src/react/useClaudeMutation.js';
import { useClaudeQuery } from '../../src/react/useClaudeQuery.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { useRetryCountdown } from '../../src/react/useRetryCountdown.js';

function EveryHook() {
  const client = useClaudeClient();
  const messages = useClaudeMessages();
  const demand = useClaudeDemand();
  const mutation = useClaudeMutation();
  const query = useClaudeQuery({ messages: [{ role: 'user', content: 'Summarise the page' }] });
  const stream = useClaudeStream();
  const seconds = useRetryCountdown(demand.nextAttemptAt);
  return (
    <ul>
      <li>client:{typeof client.send}</li>
      <li>copy:{typeof messages === 'object' ? 'yes' : 'no'}</li>
      <li>demand:{demand.level}</li>
      <li>mutation:{mutation.status}/{mutation.retry.phase}</li>
      <li>query:{query.status}/{query.fetchStatus}/{query.retry.phase}/{query.text ?? 'none'}</li>
      <li>stream:{stream.status}/{stream.retry.phase}/{stream.text}</li>
      <li>countdown:{seconds ?? 'none'}</li>
    </ul>
  );
}

function StatusWatch() {
  useAnthropicStatus({ endpoint: '/api/status' });
  return null;
}

/** Renders inside a provider as a server would, and checks nothing was fetched and no timer was left. */
function renderOnServer(children: ReactNode): string {
  const fetch = vi.fn();
  vi.stubGlobal('fetch', fetch);
  vi.useFakeTimers();
  try {
    const features = [escalation(), statusWatch(), fallbackOffers()];
    const html = renderToString(<ClaudeProvider endpoint="/api/claude" features={features}>{children}</ClaudeProvider>).replace(/<!-- -->/g, '');
    expect(fetch).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    return html;
  } finally {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  }
}

describe('server rendering', () => {
  it('renders every hook in its idle state', () => {
    const html = renderOnServer(<EveryHook />);
    expect(html).toContain('client:function');
    expect(html).toContain('copy:yes');
    expect(html).toContain('demand:normal');
    expect(html).toContain('mutation:idle/idle');
    expect(html).toContain('query:pending/');
    expect(html).toContain('/idle/none');
    expect(html).toContain('stream:idle/idle/');
    expect(html).toContain('countdown:none');
  });

  it('renders the banner, the toaster and a countdown without a window: normal, so no banner and no toast', () => {
    expect(typeof globalThis.window).toBe('undefined');
    const html = renderOnServer(
      <>
        <StatusWatch />
        <HighDemandBanner />
        <p>App</p>
        <RetryCountdown until={Date.now() + 5_000} />
        <ClaudeToaster />
      </>,
    );
    expect(html).toContain('<p>App</p>');
    expect(html).not.toContain('Claude status');
  });

  it('imports the whole browser entry without a window', async () => {
    expect(typeof globalThis.window).toBe('undefined');
    const kit = await import('../../src/index.js');
    expect(typeof kit.ClaudeProvider).toBe('function');
    // A forwardRef component: an object React knows how to render.
    expect(kit.HighDemandBanner).toHaveProperty('render');
  });
});
