import type { Meta, ReactRenderer, StoryObj } from '@storybook/react-vite';
import type { HttpHandler } from 'msw';
import type { BeforeEach } from 'storybook/internal/types';
import { useState } from 'react';
import { expect, waitFor } from 'storybook/test';
import { ClaudeToaster, HighDemandBanner } from '../src/components/index.js';
import { defaultMessages } from '../src/core/messages.js';
import { answeredByText, fallbackOffers } from '../src/core/offers.js';
import { modelFallback, type FallbackChain } from '../src/features/fallback.js';
import { ClaudeProvider, useClaudeMutation } from '../src/react/index.js';
import { createOverloadSimulator, type OverloadSimulatorOptions, type SimulatorOutcome } from '../src/testing/index.js';
import { createSimulatorHandlers } from '../src/testing/msw-entry.js';
import { AppFrame } from './support.js';

/** A tiny app: a button that asks Claude something, the banner and the toaster, all on the real hooks. */
function Chat() {
  const mutation = useClaudeMutation();
  const answer = mutation.data?.content.find((block) => block.type === 'text')?.text;
  return (
    <>
      <AppFrame>
        <HighDemandBanner />
        <div className="sb-card">
          <button
            type="button"
            className="sb-button"
            onClick={() => mutation.mutate({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Say hello' }] })}
          >
            Ask Claude
          </button>
          {answer !== undefined && <p data-testid="answer">{answer}</p>}
          {/* Only an answer from a model other than the one asked for says who gave it. */}
          {answer !== undefined && mutation.retry.fallbackFrom !== undefined && mutation.retry.model !== undefined && (
            <p style={{ fontSize: 12 }}>{answeredByText(defaultMessages, mutation.retry.model)}</p>
          )}
        </div>
      </AppFrame>
      <ClaudeToaster />
    </>
  );
}

/** The offer as buttons, for the story whose chain is in `'offer'` mode. */
const FEATURES = [fallbackOffers()];

function LiveApp({ fallback }: { fallback?: FallbackChain }) {
  // A fresh provider per visit, so each story starts from "normal".
  const [key] = useState(() => Math.random());
  return (
    <ClaudeProvider key={key} endpoint="/api/claude" fallback={fallback} features={FEATURES}>
      <Chat />
    </ClaudeProvider>
  );
}

/** MSW answers /api/claude with the overload simulator, following `script`. */
function simulate(script: SimulatorOutcome[], options: OverloadSimulatorOptions = {}): BeforeEach<ReactRenderer> {
  return async (context) => {
    // `context.msw` comes from msw-storybook-addon's loader (see .storybook/preview.tsx).
    const { msw } = context as unknown as { msw: { use: (...handlers: HttpHandler[]) => void } };
    msw.use(...createSimulatorHandlers(createOverloadSimulator({ script, latencyMs: 150, ...options }), { url: '/api/claude' }));
  };
}

const meta = {
  title: 'Live/Episode',
  component: LiveApp,
  // Real retries over real time: the screenshot run leaves the clock running (test/production).
  tags: ['real-time'],
  parameters: { docs: { description: { component: 'The real hooks talking to an MSW-simulated backend that answers 529.' } } },
} satisfies Meta<typeof LiveApp>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Claude answers 529 twice, then succeeds: busy banner and toast, "Retry now" twice, then "Back to normal". */
export const OverloadedThenRecovers: Story = {
  beforeEach: simulate(['529', '529', 'ok']),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Ask Claude' }));
    const banner = await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    await expect(banner).toHaveTextContent('Claude is busy right now.');
    await expect(banner).not.toHaveTextContent('529');
    for (let i = 0; i < 2; i += 1) {
      const retry = await canvas.findAllByRole('button', { name: 'Retry now' }, { timeout: 8000 });
      if (retry[0]) await userEvent.click(retry[0]);
    }
    await waitFor(() => expect(canvas.getByText('Back to normal', { selector: '.cok-toast-title' })).toBeVisible(), {
      timeout: 15000,
    });
  },
};

/**
 * Claude keeps answering 529; "Cancel" stops the retries and the banner goes away. Asked again at once, the banner
 * comes back and says what really happens: "Sending in" while the app-wide window holds a request not yet sent,
 * "Retrying in" once one was sent and met a 529.
 */
export const OverloadedThenCancelled: Story = {
  beforeEach: simulate(['529', '529', '529', '529', '529', '529']),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Ask Claude' }));
    await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    await userEvent.click(await canvas.findByRole('button', { name: 'Cancel' }, { timeout: 8000 }));
    await waitFor(() => expect(canvas.queryByRole('region', { name: 'Claude status' })).toBeNull(), { timeout: 8000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Ask Claude' }));
    const banner = await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    // Either it waits for the app-wide window before sending (nothing sent: "Sending in"), or it was sent, met a 529,
    // and waits to retry (attempt 1 or more in Details). Never "Retrying" at attempt 0.
    await waitFor(() => expect(banner).toHaveTextContent(/(Sending|Retrying) in \d+ s…/), { timeout: 8000 });
    if (/Retrying/.test(banner.textContent ?? '')) await expect(banner).toHaveTextContent(/Attempt [1-9]/);
    else await expect(banner).toHaveTextContent(/Sending in \d+ s…/);
  },
};

/**
 * Sonnet is overloaded (no capacity at all) while Haiku has room, and the app's chain is in `'offer'` mode (`afterMs`
 * shortened to 3 s for the story; 15 s by default). The banner offers Haiku; taking it, the answer comes from Haiku
 * and says so under it.
 */
export const AnsweredByAFallbackModel: Story = {
  name: 'Answered by a fallback model',
  args: { fallback: modelFallback({ models: ['claude-sonnet-5-5', 'claude-haiku-4-5'], afterMs: 3_000, mode: 'offer' }) },
  beforeEach: simulate([], { models: { 'claude-sonnet-5-5': { capacity: 0 }, 'claude-haiku-4-5': { capacity: 10 } } }),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Ask Claude' }));
    const banner = await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    await expect(banner).toHaveTextContent('Claude is busy right now.');
    const offer = await canvas.findByRole('button', { name: 'Answer with Claude Haiku 4.5 now — faster, less thorough' }, { timeout: 15000 });
    await userEvent.click(offer);
    await waitFor(() => expect(canvas.getByTestId('answer')).toBeVisible(), { timeout: 10000 });
    await expect(canvas.getByText('Answered by Claude Haiku 4.5')).toBeVisible();
    await expect(canvas.queryByRole('button', { name: /Answer with/ })).toBeNull();
  },
};
