import { RetryCountdown, useClaudeMessages, useClaudeStream } from 'claude-overload-kit';
import { answeredByText } from 'claude-overload-kit/offers';
import { useState, type FormEvent } from 'react';

const STATUS_TEXT: Record<string, string> = {
  idle: '',
  sending: 'Sending…',
  streaming: 'Claude is writing…',
  waiting: 'Waiting',
  paused: 'Paused while offline',
  done: 'Done',
  error: 'Could not get an answer',
  cancelled: '',
};

/** A small streaming chat on useClaudeStream. */
export function Chat() {
  const [prompt, setPrompt] = useState('Explain exponential backoff with jitter in two sentences.');
  const stream = useClaudeStream();
  const messages = useClaudeMessages();
  // Set when the answer came from a model further down the fallback chain than the one asked for.
  const answeredBy = stream.status === 'done' && stream.retry.fallbackFrom !== undefined ? stream.retry.model : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (prompt.trim()) stream.send({ max_tokens: 400, messages: [{ role: 'user', content: prompt }] });
  };

  return (
    <section className="pg-card pg-chat" aria-labelledby="chat-title">
      <h2 id="chat-title">Streaming chat</h2>
      <form onSubmit={submit} className="pg-form">
        <label htmlFor="prompt" className="pg-label">
          Message
        </label>
        <textarea id="prompt" value={prompt} onChange={(e) => setPrompt(e.target.value)} rows={3} />
        <div className="pg-actions">
          <button type="submit" className="pg-button">
            Send
          </button>
          {(stream.status === 'sending' || stream.status === 'streaming' || stream.status === 'waiting') && (
            <button type="button" className="pg-button pg-secondary" onClick={stream.cancel}>
              Stop
            </button>
          )}
        </div>
      </form>
      <p className="pg-status" data-status={stream.status}>
        {STATUS_TEXT[stream.status]}
        {stream.status === 'waiting' && stream.retry.nextAttemptAt ? (
          <>
            {' · '}
            {/* The same moment as the banner's: the expected turn while the handler's line keeps the place. */}
            <RetryCountdown until={stream.retry.nextAttemptAt} turn={stream.retry.failure?.line !== undefined} />
          </>
        ) : null}
        {stream.cancelled && stream.request ? (
          <span data-testid="cancelled">
            {messages.cancelled}{' '}
            <button type="button" className="pg-button pg-secondary" onClick={() => stream.send(stream.request!)}>
              {messages.sendAgain}
            </button>
          </span>
        ) : null}
        {stream.restarted && stream.status !== 'idle' ? ' · The answer restarted after a broken stream.' : null}
      </p>
      <output className="pg-answer" aria-live="polite" data-testid="answer">
        {stream.text}
      </output>
      {answeredBy !== undefined && (
        <p className="pg-answered-by" data-testid="answered-by">
          {answeredByText(messages, answeredBy)}
        </p>
      )}
    </section>
  );
}
