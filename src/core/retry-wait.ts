/**
 * The two ways a request waits between attempts: a pause (a backoff, or the network) and a wait for the gate's permit.
 * Either can be cut short through the wake the retryer holds: "Retry now", or a move to another model (the fallback
 * cursor's own wait, fallback.ts).
 */
import type { Clock, OnlineSource } from './clock.js';
import type { Gate, GatePermit, RequestPriority } from './gate-types.js';

/** `'now'`: "Retry now" was pressed. `'move'`: go on at once (to another model, or to end a cancelled request). */
export type Wake = 'now' | 'move';
export type SetWake = (wake: ((how: Wake) => void) | undefined) => void;

/** The reason a wait for the gate is cut short to move the request to another model. */
export const MOVE: unique symbol = Symbol();

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
  setWake: SetWake;
}

/**
 * Takes a permit from the gate; "Retry now" while it waits skips the window. A cancel ends it through the signal. A
 * request with a fallback chain waits through its cursor instead (`FallbackCursor.wait`), which may move it.
 */
export async function waitForPermit(gate: Gate, wait: PermitWait): Promise<GatePermit> {
  const ticket: { expedite?: () => void } = {};
  wait.setWake((how) => how === 'now' && ticket.expedite?.());
  try {
    return await gate.acquire({ signal: wait.signal, model: wait.model, priority: wait.priority, force: wait.force, ticket, onHold: wait.onHold });
  } finally {
    wait.setWake(undefined);
  }
}
