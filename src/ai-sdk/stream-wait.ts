/**
 * One chat answer's wait in the server's line, as the kit's demand store follows requests: a tracked object with the
 * retryer's face, driven by the route's `data-claude-wait` parts instead of by attempts of its own. The banner and
 * the toaster then read it like any other request's wait: "You're in line — about 20 s".
 */
import type { Clock } from '../core/clock.js';
import { ClaudeError } from '../core/failure.js';
import type { Retryer, RetrySnapshot } from '../core/retryer.js';
import { turnToShow, type LineTicket } from '../core/line-ticket.js';
import { createListeners } from '../core/store.js';
import type { ClaudeWait } from './wait.js';

export interface StreamWait extends Retryer<void> {
  /** A `data-claude-wait` part arrived. */
  update(wait: ClaudeWait): void;
  /** Claude is answering (the first content, or the line said `answered`). */
  answered(): void;
  /** The stream ended: nothing more to follow. */
  end(): void;
  /** The stream broke, or carried an error before any answer: the wait ended without one (not "back to normal"). */
  fail(message: string): void;
}

/**
 * `cancel` stops the chat's request (the person's "Cancel"). "Retry now" keeps the call where it is, as it keeps a kit
 * request's place in the handler's line: the call already stands at its place in the server's line and goes the
 * moment its turn comes; jumping the line is what the line prevents.
 */
export function createStreamWait(clock: Pick<Clock, 'now'>, cancel: () => void): StreamWait {
  const listeners = createListeners();
  let snapshot: RetrySnapshot = { phase: 'sending', attempt: 1, startedAt: clock.now() };
  let settle!: () => void;
  const promise = new Promise<void>((resolve) => (settle = resolve));
  const done = () => snapshot.phase === 'succeeded' || snapshot.phase === 'failed';
  // The turns the line named for this answer, as the kit's transport keeps them (turnToShow).
  const turns: LineTicket = { value: '' };
  const set = (next: RetrySnapshot) => {
    if (done()) return;
    snapshot = next;
    listeners.notify();
    if (done()) settle();
  };

  return {
    promise,
    subscribe: listeners.subscribe,
    getSnapshot: () => snapshot,
    retryNow() {},
    cancel() {
      cancel();
      set({ ...snapshot, phase: 'failed', failure: new ClaudeError({ kind: 'aborted', message: 'The chat request was cancelled.', retryable: false }) });
    },
    markResponding() {
      set({ ...snapshot, phase: 'succeeded', responding: true });
    },
    acceptOffer() {},
    declineOffer() {},
    update(wait) {
      if (wait.state === 'answered') return this.answered();
      const failure = new ClaudeError({
        kind: 'overloaded', status: 529, type: 'overloaded_error', retryable: true,
        message: wait.state === 'gave-up' ? 'The server stopped waiting for Claude.' : 'The request waits in the server’s line toward Claude.',
        ...(wait.retryAfterMs !== undefined && { retryAfterMs: wait.retryAfterMs }),
        ...((wait.ahead !== undefined || wait.expectedWaitMs !== undefined) && {
          line: {
            ...(wait.ahead !== undefined && { ahead: wait.ahead }),
            ...(wait.expectedWaitMs !== undefined && { expectedWaitMs: wait.expectedWaitMs }),
          },
        }),
      });
      if (wait.state === 'gave-up') return set({ ...snapshot, phase: 'failed', failure });
      // The browser makes no attempt of its own (the server's call waits at its place): the one moment on screen is
      // the expected turn the line named, shown as for the kit's own requests in the line (in an outage, no sooner
      // than the answer has already waited once two named turns came and went). Without one, none.
      const now = clock.now();
      const shown = turnToShow(turns, failure.line, now)?.expectedWaitMs;
      const turnAt = shown === undefined ? undefined : now + shown;
      set({ ...snapshot, phase: 'waiting', attempt: snapshot.attempt + 1, waited: true, failure, nextAttemptAt: turnAt });
    },
    answered() {
      set({ ...snapshot, phase: 'succeeded', responding: true, nextAttemptAt: undefined });
    },
    end() {
      set({ ...snapshot, phase: 'succeeded', nextAttemptAt: undefined });
    },
    fail(message) {
      // Not retryable: the kit did not give up on Claude, the route's call ended; the app shows its own error.
      set({ ...snapshot, phase: 'failed', nextAttemptAt: undefined, failure: new ClaudeError({ kind: 'server_error', message, retryable: false }) });
    },
  };
}
