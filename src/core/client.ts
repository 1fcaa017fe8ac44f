import { alwaysOnline, systemClock, type Clock, type OnlineSource } from './clock.js';
import { createDemandStore, type DemandStore } from './demand.js';
import { ClaudeError, toClaudeError } from './failure.js';
import type { ClaudeFeature } from './features.js';
import { createGate, type Gate, type GateOptions, type RequestPriority } from './gate.js';
import { newLineTicket } from './line-ticket.js';
import { createRetryPolicy, type RetryPolicy, type RetryPolicyOptions } from './policy.js';
import { createRetryer, type FallbackChain, type Retryer } from './retryer.js';
import { createTransport, type Message, type MessageRequest, type StreamCallbacks, type TransportOptions } from './transport.js';
import type { AttemptFunction } from './types.js';
export type { AttemptFunction };

export interface ClaudeClientOptions extends TransportOptions {
  /** Retry policy options, or a policy of your own. Defaults to the kit's patient policy. */
  policy?: RetryPolicyOptions | RetryPolicy;
  /** Options of the app-wide traffic gate, or `false` to let every request go on its own. */
  gate?: GateOptions | false;
  /**
   * What only some apps use, imported and passed in: `escalation()` (claude-overload-kit/escalation), `statusWatch()`
   * (claude-overload-kit/status), `fallbackOffers()` (claude-overload-kit/offers). Read when the client is made.
   * Defaults to none.
   */
  features?: readonly ClaudeFeature[];
  /**
   * A fallback chain for every request, `modelFallback({ models, afterMs, mode })` from `claude-overload-kit/fallback`:
   * after a request's model has been overloaded for `afterMs`, its next attempt goes to the next model, or the person
   * is offered it. Defaults to none: requests wait for their own model.
   */
  fallback?: FallbackChain;
  online?: OnlineSource;
  clock?: Clock;
}

export interface StreamOptions extends StreamCallbacks {
  /**
   * When the stream breaks after text has arrived: `'restart'` asks again from the start (the text resets and
   * `onRestart` is called), `'keep'` stops and keeps the partial text. Breaks before the first token are always
   * retried transparently. The first token is the first text: a stream that breaks while Claude is still thinking or
   * writing a tool call's input, before any text, starts over under `'keep'` too (most apps show nothing of the
   * thinking, so nothing is lost to the person, and a cut thinking block or tool input cannot be used anyway).
   * Defaults to `'restart'`.
   */
  afterFirstToken?: 'restart' | 'keep';
  /** Called when an attempt starts over after text had already arrived. */
  onRestart?: (attempt: number) => void;
}


export interface RunOptions {
  signal?: AbortSignal;
  /**
   * The model of the request, for the gate's per-model window and the fallback chain (`send` and `stream` read it
   * from the request). Defaults to the handler's default model.
   */
  model?: string;
  /**
   * `'background'` for work nobody is watching: it yields to interactive requests in the kit handler's line, and in
   * the browser gate when it has `lanes: priorityLanes()`. Defaults to `'interactive'`.
   */
  priority?: RequestPriority;
  /** This request's fallback chain (`modelFallback()`), over the client's; `false` for none. */
  fallback?: FallbackChain | false;
}

/**
 * Everything one app shares: transport, retry policy, traffic gate and demand summary. Framework-free; the React
 * provider holds one, and apps without React can use it directly.
 */
export interface ClaudeClient {
  readonly gate: Gate | undefined;
  readonly demand: DemandStore;
  readonly policy: RetryPolicy;
  /** The features the client was made with (the provider reads their words). */
  readonly features: readonly ClaudeFeature[];
  /** Sends one Messages request with the kit's retries; the retryer is tracked by the demand summary. */
  send(request: MessageRequest, options?: RunOptions): Retryer<Message>;
  /** Streams one Messages request with the kit's retries, also of a stream that broke after its first token. */
  stream(request: MessageRequest, callbacks?: StreamOptions, options?: RunOptions): Retryer<Message>;
  /** Runs any attempt function under the kit's policy, gate and demand summary. */
  run<T>(attemptFn: AttemptFunction<T>, options?: RunOptions): Retryer<T>;
  /** Cancels every request and stops every timer. The client stays usable. */
  dispose(): void;
}

function isPolicy(policy: ClaudeClientOptions['policy']): policy is RetryPolicy {
  return typeof (policy as RetryPolicy | undefined)?.nextDelay === 'function';
}

export function createClaudeClient(options: ClaudeClientOptions = {}): ClaudeClient {
  const clock = options.clock ?? systemClock;
  const online = options.online ?? alwaysOnline;
  const transport = createTransport({ ...options, clock });
  const policy = isPolicy(options.policy) ? options.policy : createRetryPolicy({ random: clock.random, ...options.policy });
  const gate = options.gate === false ? undefined : createGate({ clock, ...options.gate });
  const demand = createDemandStore({ clock, online });
  const features = options.features ?? [];
  for (const feature of features) feature.setup({ demand, clock });
  // The models whose busy episode the person chose to skip, for every request of the client.
  const skipped = new Set<string>();

  function run<T>(attemptFn: AttemptFunction<T>, runOptions: RunOptions = {}): Retryer<T> {
    const fallback = runOptions.fallback === false ? undefined : (runOptions.fallback ?? options.fallback);
    const retryer = createRetryer({
      run: attemptFn, policy, clock, online, gate, signal: runOptions.signal,
      model: runOptions.model, priority: runOptions.priority, fallback, skipped,
    });
    demand.track(retryer as Retryer<unknown>, runOptions.priority === 'background');
    return retryer;
  }

  return {
    gate,
    demand,
    policy,
    features,
    run,
    send(request, runOptions) {
      // The ticket also carries the request's lane to the handler's line (`x-claude-kit-priority`).
      const ticket = newLineTicket(runOptions?.priority);
      return run(
        (signal, _attempt, model) => transport.send(withModel(request, model), signal, ticket),
        { model: request.model, ...runOptions },
      );
    },
    stream(request, streamOptions = {}, runOptions) {
      let shown = false;
      const ticket = newLineTicket(runOptions?.priority);
      const retryer: Retryer<Message> = run(async (signal, attempt, model) => {
        if (shown) streamOptions.onRestart?.(attempt);
        let textThisAttempt = false;
        try {
          return await transport.stream(withModel(request, model), signal, {
            onChunk: streamOptions.onChunk,
            // Any content, thinking and tool input too, means Claude is answering: the busy episode ends for this
            // request (thinking can last a minute before the first text, with the banner up all the while).
            onDelta() {
              retryer.markResponding();
              streamOptions.onDelta?.();
            },
            onText(text, delta) {
              shown = textThisAttempt = true;
              streamOptions.onText?.(text, delta);
            },
          }, ticket);
        } catch (thrown) {
          const failure = toClaudeError(thrown);
          if (textThisAttempt && streamOptions.afterFirstToken === 'keep' && failure.retryable) {
            throw new ClaudeError({ ...failure, message: failure.message, retryable: false, cause: failure });
          }
          throw failure;
        }
      }, { model: request.model, ...runOptions });
      return retryer;
    },
    dispose: () => demand.dispose(),
  };
}

/** The request as sent to `model` (the same object when nothing changes, so a chainless app sends what it built). */
function withModel(request: MessageRequest, model: string | undefined): MessageRequest {
  return model === undefined || model === request.model ? request : { ...request, model };
}
