'use client';

import { RetryCountdown, useClaudeStream } from 'claude-overload-kit';
import { useState, type FormEvent } from 'react';

/** A streaming chat on useClaudeStream: the text grows as Claude writes, and waits calmly when Claude is busy. */
export function Chat() {
  const [prompt, setPrompt] = useState('Explain exponential backoff with jitter in two sentences.');
  const stream = useClaudeStream();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (prompt.trim()) stream.send({ max_tokens: 400, messages: [{ role: 'user', content: prompt }] });
  };

  return (
    <section className="chat" aria-label="Chat">
      <form onSubmit={submit}>
        <label htmlFor="prompt">Message</label>
        <textarea id="prompt" rows={3} value={prompt} onChange={(event) => setPrompt(event.target.value)} />
        <button type="submit">Send</button>
      </form>
      <p className="chat-status" data-status={stream.status}>
        {stream.status === 'waiting' && stream.retry.nextAttemptAt ? (
          <>
            Waiting for Claude · <RetryCountdown until={stream.retry.nextAttemptAt} />
          </>
        ) : null}
      </p>
      <output className="chat-answer" aria-live="polite" data-testid="answer">
        {stream.text}
      </output>
    </section>
  );
}
