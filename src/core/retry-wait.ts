/**
 * The two ways a request waits between attempts: a pause (a backoff, or the network) and a wait for the gate's permit.
 * Either can be cut short through the wake the retryer holds: "Retry now", or a move to another model.
 */
import type { Clock, OnlineSource } from './clock.js';
import type { Gate, GatePermit, RequestPriority } from './gate-types.js';

/** `'now'`: "Retry now" was pressed. `'move'`: go on at once (to another model, or to end a cancelled request). */
export type Wake = 'now' | 'move';
export type SetWake = (wake: ((how: Wake) => void) | undefined) => void;

/** The reason a wait for the gate is cut short to move the request to another model. */
export const MOVE = Symbol('move to another model');

/** Resolves when `ms` is over (undefined: when the device is online), or when woken. No timer outlives it. */
export function pause(clock: Clock, online: OnlineSource, ms: number | undefined, setWake: SetWake): Promise<Wake | 'timer'> {
  return new Promise((resolve) => {
    let timer: unknown;
    let stopListening = () => {};
    const finish = (how: Wake | 'timer') => {
      setWake(undefined);
      if (timer !== undefined) clock.clearTimeout(timer);
      stopListening();
      resolve(how);
    };
    setWake(finish);
    if (ms !== undefined) timer = clock.setTimeout(() => finish('timer'), Math.max(0, ms));
    else {
      stopListening = online.subscribe((isOnline) => {
        if (isOnline) finish('timer');
      });
      if (online.isOnline()) finish('timer');
    }
  });
}

export interface PermitWait {
  /** The retryer's: aborted on cancel. */
  signal: AbortSignal;
  model: string;
  priority?: RequestPriority;
  force: boolean;
  /** Told each time the window holding the request moves (the gate tells waiters nothing else). */
  onHold(reopenAt: number | undefined): void;
  /** Watch for a move to another model while waiting (the fallback cursor); returns how to stop, if it can move. */
  watch?(move: () => void): (() => void) | undefined;
  setWake: SetWake;
}

/** Takes a permit from the gate; MOVE when the request should go to another model instead. */
export async function waitForPermit(gate: Gate, wait: PermitWait): Promise<GatePermit | typeof MOVE> {
  const ticket: { expedite?: () => void } = {};
  // Only a request with somewhere to go pays for its own controller; the rest wait on the retryer's signal.
  let mover: AbortController | undefined;
  let movedAlready = false;
  const move = () => (mover ? mover.abort(MOVE) : (movedAlready = true));
  const stop = wait.watch?.(move);
  if (movedAlready) {
    stop?.();
    return MOVE;
  }
  const onCancel = () => mover?.abort(wait.signal.reason);
  if (stop) {
    mover = new AbortController();
    wait.signal.addEventListener('abort', onCancel, { once: true });
  }
  wait.setWake((how) => (how === 'now' ? ticket.expedite?.() : move()));
  try {
    return await gate.acquire({
      signal: mover?.signal ?? wait.signal,
      model: wait.model,
      priority: wait.priority,
      force: wait.force,
      ticket,
      onHold(reopenAt) {
        wait.onHold(reopenAt);
        if (stop) wait.watch!(move);
      },
    });
  } catch (reason) {
    if (reason === MOVE) return MOVE;
    throw reason;
  } finally {
    wait.setWake(undefined);
    wait.signal.removeEventListener('abort', onCancel);
    stop?.();
  }
}
