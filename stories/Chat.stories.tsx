import type { Meta, ReactRenderer, StoryObj } from '@storybook/react-vite';
import type { HttpHandler } from 'msw';
import type { BeforeEach } from 'storybook/internal/types';
import { useState, type FormEvent } from 'react';
import { expect, waitFor } from 'storybook/test';
import { ClaudeToaster, HighDemandBanner } from '../src/components/index.js';
import type { MessageRequest } from '../src/core/transport.js';
import { ClaudeProvider, useClaudeStream } from '../src/react/index.js';
import { createOverloadSimulator, type SimulatorOutcome } from '../src/testing/index.js';
import { createSimulatorHandlers } from '../src/testing/msw-entry.js';

interface Turn {
  role: 'user' | 'assistant';
  text: string;
}

/** The conversation a person comes back to: one exchange already there. */
const EARLIER: Turn[] = [
  { role: 'user', text: 'What is exponential backoff?' },
  { role: 'assistant', text: 'Waiting longer after each failure — 1 s, 2 s, 4 s — so that a busy service gets room to recover.' },
];

/** A chat on useClaudeStream: the history, the answer growing in it, what the question is waiting for, and the banner. */
function Chat() {
  const [turns, setTurns] = useState<Turn[]>(EARLIER);
  const [draft, setDraft] = useState('And what does jitter add?');
  const stream = useClaudeStream({
    onFinish: (message) => {
      const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      setTurns((earlier) => [...earlier, { role: 'assistant', text }]);
    },
  });
  const working = stream.status === 'sending' || stream.status === 'streaming' || stream.status === 'waiting' || stream.status === 'paused';

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft.trim() || working) return;
    const next = [...turns, { role: 'user' as const, text: draft }];
    setTurns(next);
    setDraft('');
    const request: MessageRequest = {
      model: 'claude-sonnet-5-5',
      max_tokens: 300,
      messages: next.map((turn) => ({ role: turn.role, content: turn.text })),
    };
    stream.send(request);
  }

  return (
    <div className="sb-app">
      <HighDemandBanner />
      <section className="sb-card sb-chat" aria-label="Chat">
        <ol className="sb-chat-log" aria-label="Conversation">
          {turns.map((turn, index) => (
            <li key={index} data-role={turn.role}>
              {turn.text}
            </li>
          ))}
          {working && stream.text && (
            <li data-role="assistant" aria-busy="true">
              {stream.text}
            </li>
          )}
        </ol>
        <p className="sb-chat-status" role="status">
          {stream.status === 'sending' && 'Asking Claude…'}
          {stream.status === 'waiting' && 'Waiting for Claude…'}
          {stream.status === 'streaming' && stream.restarted && 'The answer broke off; Claude is writing it again.'}
          {stream.status === 'cancelled' && 'Stopped.'}
          {stream.status === 'error' && "Claude couldn't answer this time."}
        </p>
        <form className="sb-chat-form" onSubmit={submit}>
          <textarea aria-label="Message" rows={2} value={draft} onChange={(event) => setDraft(event.target.value)} />
          {working ? (
            <button type="button" className="sb-button" onClick={stream.cancel}>
              Stop
            </button>
          ) : (
            <button type="submit" className="sb-button">
              Send
            </button>
          )}
        </form>
      </section>
      <ClaudeToaster />
    </div>
  );
}

function ChatApp() {
  // A fresh provider per visit, so each story starts from "normal".
  const [key] = useState(() => Math.random());
  return (
    <ClaudeProvider key={key} endpoint="/api/claude">
      <Chat />
    </ClaudeProvider>
  );
}

/** MSW answers /api/claude with the overload simulator: `script` first, streams spread over `serviceTimeMs`. */
function simulate(script: SimulatorOutcome[]): BeforeEach<ReactRenderer> {
  return async (context) => {
    const { msw } = context as unknown as { msw: { use: (...handlers: HttpHandler[]) => void } };
    const simulator = createOverloadSimulator({ script, latencyMs: 150, serviceTimeMs: 1_200 });
    msw.use(...createSimulatorHandlers(simulator, { url: '/api/claude' }));
  };
}

const meta = {
  title: 'Live/Chat',
  component: ChatApp,
  // Real streams over real time: the screenshot run leaves the clock running (test/production).
  tags: ['real-time'],
  parameters: {
    docs: {
      description: {
        component:
          'A chat on `useClaudeStream` against an MSW-simulated backend: the answer streams into the conversation, ' +
          'and when Claude is busy the banner says so while the question waits.',
      },
    },
  },
} satisfies Meta<typeof ChatApp>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Claude answers 529 twice, then streams: the banner while the question waits, then the answer grows in the chat. */
export const StreamsThroughABusySpell: Story = {
  beforeEach: simulate(['529', '529', 'ok']),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    const banner = await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    await expect(banner).toHaveTextContent('Claude is busy right now.');
    await expect(canvas.getByRole('button', { name: 'Stop' })).toBeVisible();
    for (let i = 0; i < 2; i += 1) {
      const retry = await canvas.findAllByRole('button', { name: 'Retry now' }, { timeout: 8000 });
      if (retry[0]) await userEvent.click(retry[0]);
    }
    // The answer grows in the conversation, then stays there once the stream ends.
    const log = canvas.getByRole('list', { name: 'Conversation' });
    await waitFor(() => expect(log.querySelector('li[aria-busy="true"]')).not.toBeNull(), { timeout: 15000 });
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Send' })).toBeVisible(), { timeout: 15000 });
    await expect(log.querySelectorAll('li')).toHaveLength(4);
    await expect(log.lastElementChild).toHaveTextContent('And what does jitter add?');
  },
};

/** A stream breaks after its first words: the chat says so, and Claude writes the answer again from the start. */
export const ABrokenStreamStartsAgain: Story = {
  beforeEach: simulate(['stream-error-midway', 'ok']),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(canvas.getByText('The answer broke off; Claude is writing it again.')).toBeVisible(), { timeout: 15000 });
    await waitFor(() => expect(canvas.getByRole('button', { name: 'Send' })).toBeVisible(), { timeout: 15000 });
    const log = canvas.getByRole('list', { name: 'Conversation' });
    await expect(log.querySelectorAll('li')).toHaveLength(4);
    await expect(log.lastElementChild).toHaveTextContent('And what does jitter add?');
  },
};

/** The person stops a question while Claude is busy: no answer, and the chat says it stopped. */
export const StoppedWhileBusy: Story = {
  beforeEach: simulate(['529', '529', '529', '529']),
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
    await canvas.findByRole('region', { name: 'Claude status' }, { timeout: 8000 });
    await userEvent.click(canvas.getByRole('button', { name: 'Stop' }));
    await waitFor(() => expect(canvas.getByText('Stopped.')).toBeVisible(), { timeout: 5000 });
    await waitFor(() => expect(canvas.queryByRole('region', { name: 'Claude status' })).toBeNull(), { timeout: 8000 });
    await expect(canvas.getByRole('list', { name: 'Conversation' }).querySelectorAll('li')).toHaveLength(3);
  },
};
