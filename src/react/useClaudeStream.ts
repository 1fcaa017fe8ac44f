import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunOptions, StreamOptions } from '../core/client.js';
import type { ClaudeError } from '../core/failure.js';
import type { Retryer } from '../core/retryer.js';
import type { Message, MessageRequest } from '../core/transport.js';
import { useClaudeClient } from './context.js';
import { useRetryState, useRevivable, type RetryState } from './useRetryState.js';

export type ClaudeStreamStatus = 'idle' | 'sending' | 'streaming' | 'waiting' | 'paused' | 'done' | 'error' | 'cancelled';

export interface ClaudeStreamOptions extends Pick<StreamOptions, 'afterFirstToken'>, Pick<RunOptions, 'priority' | 'fallback'> {
  onFinish?: (message: Message) => void;
  onError?: (error: ClaudeError) => void;
}

export interface ClaudeStreamResult {
  /** Starts a new answer (cancelling one under way). A string is sent as one user message. */
  send(request: MessageRequest | string): void;
  /** The answer's text as it grows. */
  text: string;
  status: ClaudeStreamStatus;
  /** True once the answer had to start over after a broken stream; the text then grows again from the start. */
  restarted: boolean;
  message: Message | undefined;
  error: ClaudeError | undefined;
  retry: RetryState;
  cancel(): void;
  /**
   * True after `cancel()` (or the banner's Cancel) stopped the answer: show what was asked and a way to send it again
   * (`messages.cancelled`, `messages.sendAgain`), never an empty screen.
   */
  cancelled: boolean;
  /** The request last sent, kept after a cancel or an error, for "Send again": `send(request)`. */
  request: MessageRequest | undefined;
}

interface StreamState {
  text: string;
  restarted: boolean;
  message?: Message;
  error?: ClaudeError;
  done: boolean;
}

const EMPTY: StreamState = { text: '', restarted: false, done: false };

/** Streams an answer with the kit's retries, including a stream that broke after its first token. */
export function useClaudeStream(options: ClaudeStreamOptions = {}): ClaudeStreamResult {
  const client = useClaudeClient();
  const [retryer, setRetryer] = useState<Retryer<Message>>();
  const [state, setState] = useState<StreamState>(EMPTY);
  const current = useRef<Retryer<Message>>(undefined);
  const lastRequest = useRef<MessageRequest>(undefined);
  const latestOptions = useRef(options);
  latestOptions.current = options;

  const send = useCallback(
    (input: MessageRequest | string) => {
      current.current?.cancel();
      const request: MessageRequest = typeof input === 'string' ? { messages: [{ role: 'user', content: input }] } : input;
      lastRequest.current = request;
      setState(EMPTY);
      const next = client.stream(request, {
        afterFirstToken: latestOptions.current.afterFirstToken,
        onText: (text) => {
          if (current.current === next) setState((s) => ({ ...s, text }));
        },
        onRestart: () => {
          if (current.current === next) setState((s) => ({ ...s, text: '', restarted: true }));
        },
      }, { priority: latestOptions.current.priority, fallback: latestOptions.current.fallback });
      current.current = next;
      setRetryer(next);
      next.promise.then(
        (message) => {
          if (current.current !== next) return;
          setState((s) => ({ ...s, message, done: true }));
          latestOptions.current.onFinish?.(message);
        },
        (error: ClaudeError) => {
          if (current.current !== next) return;
          setState((s) => ({ ...s, error, done: true }));
          if (error.kind !== 'aborted') latestOptions.current.onError?.(error);
        },
      );
    },
    [client],
  );

  const cancel = useCallback(() => current.current?.cancel(), []);
  useEffect(() => () => current.current?.cancel(), []);

  const retry = useRevivable(useRetryState(retryer), client, () => {
    if (lastRequest.current) send(lastRequest.current);
  });
  const status = statusOf(retry, state, retryer !== undefined);
  return {
    send, cancel, text: state.text, restarted: state.restarted, message: state.message, error: state.error, retry, status,
    cancelled: status === 'cancelled', request: lastRequest.current,
  };
}

function statusOf(retry: RetryState, state: StreamState, sent: boolean): ClaudeStreamStatus {
  if (state.error) return state.error.kind === 'aborted' ? 'cancelled' : 'error';
  if (state.done) return 'done';
  const { phase } = retry;
  if (phase === 'sending') {
    if (state.text) return 'streaming';
    // Back at its place in the handler's line (Claude turned it away and the line keeps its turn): for the person it
    // waits for that turn, whichever side of the wire it waits on. Sending while the line holds it (a return every
    // few seconds) flickered "Sending…" and the countdown in turn; the banner says "in line" all along.
    return retry.nextAttemptAt !== undefined ? 'waiting' : 'sending';
  }
  if (phase === 'waiting' || phase === 'paused') return phase;
  // A request sent but queued in the gate for a free slot (an open window, the concurrency limit reached) is still
  // idle in the retryer until a slot frees: for the person it is on its way, not idle.
  return sent ? 'sending' : 'idle';
}
