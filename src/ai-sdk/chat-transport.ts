/**
 * createClaudeChatTransport: a `ChatTransport` for `useChat` over the AI SDK's `DefaultChatTransport` that lets the
 * kit see the chat. A route answering 529, 429 or 5xx before it streams is retried by the kit's policy through the
 * app's gate (and shown, like any request of the kit); the wait a route reports in its stream (`data-claude-wait`,
 * see claudeWaitHeaders) becomes that request's place in line. `<HighDemandBanner />` and `<ClaudeToaster />` read
 * both from the provider's demand store, unchanged.
 */
import { DefaultChatTransport } from 'ai';
import type { ChatTransport, HttpChatTransportInitOptions, UIMessage, UIMessageChunk } from 'ai';
import type { ClaudeClient } from '../core/client.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { isClaudeError, readClaudeError } from '../core/failure.js';
import type { RequestPriority } from '../core/gate.js';
import { createStreamWait } from './stream-wait.js';
import type { StreamWait } from './stream-wait.js';
import { CLAUDE_WAIT_PART } from './wait.js';
import type { ClaudeWait } from './wait.js';

export interface ClaudeChatTransportOptions<UI_MESSAGE extends UIMessage> extends HttpChatTransportInitOptions<UI_MESSAGE> {
  /** The kit's client whose policy, gate and demand store the chat uses: `useClaudeClient()` under `<ClaudeProvider>`. */
  client: ClaudeClient;
  /** `'background'` for chats nobody is watching: they yield to people in the gate. Defaults to `'interactive'`. */
  priority?: RequestPriority;
  /** Time for the expected turn of a wait. Defaults to the real clock. */
  clock?: Pick<Clock, 'now'>;
}

/** Content that means Claude is answering: the wait is over for this request. */
const ANSWERING = new Set(['text-start', 'text-delta', 'reasoning-start', 'reasoning-delta', 'tool-input-start', 'tool-input-delta', 'source-url', 'file']);

const abortError = () => new DOMException('The chat request was cancelled.', 'AbortError');

export function createClaudeChatTransport<UI_MESSAGE extends UIMessage = UIMessage>(
  options: ClaudeChatTransportOptions<UI_MESSAGE>,
): ChatTransport<UI_MESSAGE> {
  const { client, priority, clock = systemClock, fetch: given, ...http } = options ?? ({} as ClaudeChatTransportOptions<UI_MESSAGE>);
  if (typeof client?.run !== 'function' || typeof client.demand?.track !== 'function') {
    throw new TypeError('createClaudeChatTransport: pass `client`, the kit\'s client (useClaudeClient() under <ClaudeProvider>).');
  }

  /** One HTTP request of the chat under the kit's policy and gate: what fails before streaming is retried and shown. */
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const outer = init?.signal ?? undefined;
    const retryer = client.run(async (attempt) => {
      // The chat's own signal too: once the stream is flowing the retryer is done, and a stop must still end it.
      const signal = outer ? AbortSignal.any([outer, attempt]) : attempt;
      const response = await (given ?? globalThis.fetch)(input, { ...init, signal });
      if (response.ok) return response;
      const failure = await readClaudeError(response.clone());
      // The app's own refusals (400, 401…) reach useChat as the AI SDK reports them.
      if (!failure.retryable) return response;
      await response.body?.cancel().catch(() => {});
      throw failure;
    }, { signal: outer, priority });
    try {
      return await retryer.promise;
    } catch (error) {
      // A cancel (the chat's stop, or the banner's Cancel) is an abort to useChat, not an error to show.
      throw isClaudeError(error) && error.kind === 'aborted' ? abortError() : error;
    }
  };
  const inner = new DefaultChatTransport<UI_MESSAGE>({ ...http, fetch: fetch as typeof globalThis.fetch });

  /** Follows the route's reports of the wait in its line, for the demand store, until Claude answers. */
  function watch(stream: ReadableStream<UIMessageChunk>, stop: AbortController): ReadableStream<UIMessageChunk> {
    let wait: StreamWait | undefined;
    const observe = (chunk: UIMessageChunk) => {
      if (chunk.type === CLAUDE_WAIT_PART) {
        const data = (chunk as { data?: ClaudeWait }).data;
        if (!data || typeof data !== 'object' || typeof data.state !== 'string') return;
        if (!wait && data.state === 'waiting') {
          wait = createStreamWait(clock, () => stop.abort());
          client.demand.track(wait, priority === 'background');
        }
        wait?.update(data);
      } else if (ANSWERING.has(chunk.type)) {
        wait?.answered();
      } else if (chunk.type === 'error') {
        wait?.fail(chunk.errorText);
      }
    };
    // Whichever way the stream ends (its end, an error, the chat's stop), the wait is no longer followed.
    const reader = stream.getReader();
    return new ReadableStream<UIMessageChunk>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            wait?.end();
            controller.close();
            return;
          }
          observe(value);
          controller.enqueue(value);
        } catch (error) {
          wait?.fail(error instanceof Error ? error.message : String(error));
          controller.error(error);
        }
      },
      cancel(reason) {
        wait?.end();
        return reader.cancel(reason);
      },
    });
  }

  return {
    async sendMessages(request) {
      const stop = new AbortController();
      const abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal, stop.signal]) : stop.signal;
      return watch(await inner.sendMessages({ ...request, abortSignal }), stop);
    },
    async reconnectToStream(request) {
      const stream = await inner.reconnectToStream(request);
      return stream && watch(stream, new AbortController());
    },
  };
}
