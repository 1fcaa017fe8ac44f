/**
 * The wait of one `streamText` call in the kit's line, told to the browser: the route gives its call
 * `headers: claudeWaitHeaders(writer)`, the kit's fetch reads that header (and never forwards it), and each change of
 * the wait becomes a transient `data-claude-wait` part in the route's UI message stream, which the kit's chat
 * transport turns into the banner and the toaster.
 *
 * The header carries an id, not the writer: a registry maps ids to writers, and holds each writer weakly, so a route
 * that never calls the kit's fetch (or a stream that ended) leaves nothing behind.
 */

/** The data part's name: `type: 'data-claude-wait'` in the UI message stream. */
export const CLAUDE_WAIT_PART = 'data-claude-wait' as const;

/** The request header that names the writer; taken off before the request reaches the kit's line. */
export const WAIT_HEADER = 'x-claude-kit-wait';

/**
 * Where one call stands. `waiting`: in the kit's line (Claude is refusing, or the app's own limit is full);
 * `answered`: its turn came and Claude is answering; `gave-up`: it waited `maxWaitMs` and its 529 goes to the AI SDK.
 * A wait that ends any other way (a 400 of the app's policy, a shutdown) has no part of its own: the stream's error
 * follows.
 */
export interface ClaudeWait {
  state: 'waiting' | 'answered' | 'gave-up';
  /** Requests ahead of this one in line, when the line said. */
  ahead?: number;
  /** The expected wait for its turn, from when this part was written, in ms, when the line said. */
  expectedWaitMs?: number;
  /** When the line's 529 says to come back, in ms (the kit's fetch comes back at once, with its ticket). */
  retryAfterMs?: number;
  /** How long the call has waited so far, in ms. */
  waitedMs: number;
}

/** The part as written into the UI message stream. */
export interface ClaudeWaitPart {
  type: typeof CLAUDE_WAIT_PART;
  id?: string;
  data: ClaudeWait;
  transient?: boolean;
}

/** What `createUIMessageStream` hands to `execute`: anything with `write` (its `UIMessageStreamWriter`). */
export interface ClaudeWaitWriter {
  write(part: ClaudeWaitPart): void;
}

export type ClaudeWaitListener = (wait: ClaudeWait) => void;

/** A bound on ids held at once, whatever else happens. */
const MAX_LISTENERS = 10_000;
/** A listener no call has used this long after its registration was for a call that never came (another fetch). */
const UNUSED_MS = 10 * 60_000;

/**
 * One writer's listener. Held strongly from its registration until a call uses it, and while a call of it is in
 * flight (nothing else may hold the writer meanwhile); between calls (a multi-step `streamText`) only weakly, so a
 * finished stream's writer can go.
 */
interface Entry {
  strong?: ClaudeWaitListener;
  weak?: WeakRef<ClaudeWaitListener>;
  inFlight: number;
  used: boolean;
  registeredAt: number;
}

const listeners = new Map<string, Entry>();
const collected = typeof FinalizationRegistry === 'function' && typeof WeakRef === 'function'
  ? new FinalizationRegistry<string>((id) => listeners.delete(id))
  : undefined;
let counter = 0;

function sweep(now: number): void {
  // Insertion order is registration order: stop at the first entry too young to be given up on.
  for (const [id, entry] of listeners) {
    if (now - entry.registeredAt < UNUSED_MS && listeners.size < MAX_LISTENERS) break;
    if ((!entry.used && entry.inFlight === 0) || listeners.size >= MAX_LISTENERS) listeners.delete(id);
  }
}

/** Registers `listen` under a fresh id, for the wait header. */
export function registerWaitListener(listen: ClaudeWaitListener): string {
  counter += 1;
  const id = `w${counter.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const now = Date.now();
  sweep(now);
  listeners.set(id, { strong: listen, inFlight: 0, used: false, registeredAt: now, ...(collected && { weak: new WeakRef(listen) }) });
  collected?.register(listen, id);
  return id;
}

/**
 * The listener a request names in its wait header, held for the request's life: call `release` when it is over.
 * Undefined when the header names none, or one whose stream is gone.
 */
export function acquireWaitListener(headers: Headers): { listen: ClaudeWaitListener; release(): void } | undefined {
  const id = headers.get(WAIT_HEADER)?.trim();
  const entry = id === undefined ? undefined : listeners.get(id);
  const listen = entry?.strong ?? entry?.weak?.deref();
  if (!entry || !listen) return undefined;
  entry.strong = listen;
  entry.used = true;
  entry.inFlight += 1;
  let released = false;
  return {
    listen,
    release() {
      if (released) return;
      released = true;
      entry.inFlight -= 1;
      if (entry.inFlight === 0 && entry.weak) entry.strong = undefined;
    },
  };
}

/**
 * Headers for a `streamText` (or `generateText`) call whose wait in the kit's line should reach the browser:
 * `streamText({ model, messages, headers: claudeWaitHeaders(writer) })` inside `createUIMessageStream`'s `execute`.
 * Each change of the wait is written as a transient `data-claude-wait` part (one id, so a UI that keeps it updates
 * it in place). Needs the kit's fetch (`createAnthropic({ fetch: createClaudeFetch(…) })`); any other fetch simply
 * forwards the header.
 */
export function claudeWaitHeaders(writer: ClaudeWaitWriter, headers: Record<string, string> = {}): Record<string, string> {
  if (typeof writer?.write !== 'function') {
    throw new TypeError('claudeWaitHeaders(writer): pass the `writer` that createUIMessageStream gives to `execute`.');
  }
  const partId = `claude-wait-${counter + 1}`;
  const listen: ClaudeWaitListener = (data) => {
    try {
      writer.write({ type: CLAUDE_WAIT_PART, id: partId, data, transient: true });
    } catch {
      // The stream was closed (the person left): nobody is there to tell.
    }
  };
  // The writer holds the listener for as long as the writer itself lives.
  const holders = keepAlive.get(writer as object) ?? [];
  holders.push(listen);
  keepAlive.set(writer as object, holders);
  return { ...headers, [WAIT_HEADER]: registerWaitListener(listen) };
}

/** Listeners kept alive by their writers. */
const keepAlive = new WeakMap<object, ClaudeWaitListener[]>();
