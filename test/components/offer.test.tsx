// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClaudeToaster } from '../../src/components/ClaudeToaster.js';
import { HighDemandBanner } from '../../src/components/HighDemandBanner.js';
import { defaultMessages } from '../../src/core/messages.js';
import { answeredByText, fallbackOffers } from '../../src/core/offers.js';
import { modelFallback } from '../../src/features/fallback.js';
import { ClaudeProvider } from '../../src/react/context.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { advance, ask, endpoint, ENDPOINT, reply, settle, sse, SUCCESS_SSE, TEST_GATE, testClock, useKitTestEnvironment } from '../react/helpers.js';

// The drop-ins against a real client in offer mode: the offer comes from the kit, and the buttons change what it does.
useKitTestEnvironment();
beforeAll(() => {
  // Radix Toast's swipe handling calls these; jsdom lacks them.
  Element.prototype.hasPointerCapture ??= () => false;
  Element.prototype.setPointerCapture ??= () => {};
  Element.prototype.releasePointerCapture ??= () => {};
});

const CHAIN = modelFallback({ models: ['claude-sonnet-4-5', 'claude-haiku-4-5'], afterMs: 15_000, mode: 'offer' });
const ACCEPT = 'Answer with Claude Haiku 4.5 now — faster, less thorough';

/** Sonnet overloaded, Haiku answering ("Hello! How can I help?"). */
const sonnetOverloaded = () => endpoint((_n, _request, body) => (body.model === 'claude-haiku-4-5' ? sse(SUCCESS_SSE) : reply('overloaded')));

function Chat() {
  const stream = useClaudeStream();
  return (
    <div>
      <button type="button" onClick={() => stream.send(ask('hi'))}>
        Send
      </button>
      <p data-testid="answer">{stream.text}</p>
      {stream.retry.fallbackFrom !== undefined && stream.retry.model !== undefined && stream.retry.phase === 'succeeded' && (
        <p>{answeredByText(defaultMessages, stream.retry.model)}</p>
      )}
    </div>
  );
}

function renderApp(notices: 'banner' | 'toaster', features = [fallbackOffers()]) {
  return render(
    <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={new QueryClient()} gate={TEST_GATE} fallback={CHAIN} features={features}>
      {notices === 'banner' ? <HighDemandBanner /> : <ClaudeToaster />}
      <Chat />
    </ClaudeProvider>,
  );
}

/** Sends, then lets Sonnet's overload hold the request up for afterMs. */
async function waitForOffer(): Promise<void> {
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
  await settle();
  expect(screen.queryByRole('button', { name: ACCEPT })).toBeNull();
  await advance(15_000);
  await settle();
}

describe('the fallback offer in the drop-in banner and toaster', () => {
  it.each(['banner', 'toaster'] as const)('in the %s: taking the offer sends the request to Haiku, the offer goes and the answer says who gave it', async (notices) => {
    const api = sonnetOverloaded();
    renderApp(notices);
    await waitForOffer();
    expect(api.calls.every((call) => call.body.model === 'claude-sonnet-4-5')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: ACCEPT }));
    await settle();
    expect(api.calls.at(-1)!.body.model).toBe('claude-haiku-4-5');
    expect(screen.queryByRole('button', { name: ACCEPT })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Keep waiting' })).toBeNull();
    expect(screen.getByTestId('answer').textContent).toBe('Hello! How can I help?');
    expect(screen.getByText('Answered by Claude Haiku 4.5')).toBeTruthy();
  });

  it.each(['banner', 'toaster'] as const)('in the %s: "Keep waiting" puts the offer away and the request stays with Sonnet', async (notices) => {
    const api = sonnetOverloaded();
    renderApp(notices);
    await waitForOffer();
    fireEvent.click(screen.getByRole('button', { name: 'Keep waiting' }));
    await settle();
    expect(screen.queryByRole('button', { name: ACCEPT })).toBeNull();
    await advance(30_000);
    await settle();
    expect(screen.queryByRole('button', { name: ACCEPT })).toBeNull();
    expect(api.calls.every((call) => call.body.model === 'claude-sonnet-4-5')).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
  });

  it.each(['banner', 'toaster'] as const)('in the %s without fallbackOffers(): no offer and none of its words, the request keeps waiting', async (notices) => {
    const api = sonnetOverloaded();
    renderApp(notices, []);
    await waitForOffer();
    expect(screen.queryByRole('button', { name: ACCEPT })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Keep waiting' })).toBeNull();
    expect(document.body.textContent).not.toMatch(/Haiku/);
    expect(api.calls.every((call) => call.body.model === 'claude-sonnet-4-5')).toBe(true);
    fireEvent.click(screen.getAllByRole('button', { name: 'Cancel' })[0]!);
    await settle();
  });

  it('with both mounted, shows the offer once, in the banner', async () => {
    sonnetOverloaded();
    render(
      <ClaudeProvider endpoint={ENDPOINT} clock={testClock} queryClient={new QueryClient()} gate={TEST_GATE} fallback={CHAIN} features={[fallbackOffers()]}>
        <HighDemandBanner />
        <ClaudeToaster />
        <Chat />
      </ClaudeProvider>,
    );
    await waitForOffer();
    const offers = screen.getAllByRole('button', { name: ACCEPT });
    expect(offers).toHaveLength(1);
    expect(offers[0]!.closest('.cok-banner')).not.toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
  });
});
