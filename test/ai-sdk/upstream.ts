// A fake Claude for the AI SDK tests: the simulator's answers (streamed or whole), except that every call is refused
// with a 529 overloaded_error until `outageMs` has passed on the test's clock. Counts the calls it received.
import { createOverloadSimulator } from '../../src/testing/index.js';
import type { SimulatorClock } from '../../src/testing/index.js';

export interface OutageUpstream {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  /** Every call received, refused or answered. */
  readonly calls: number;
  readonly refused: number;
  /** When the outage ends (ms on the clock); changeable while running. */
  outageEndsAt: number;
}

export function outageUpstream(clock: SimulatorClock, outageMs: number): OutageUpstream {
  const simulator = createOverloadSimulator({ clock });
  const state = {
    calls: 0,
    refused: 0,
    outageEndsAt: clock.now() + outageMs,
    fetch: async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      state.calls += 1;
      if (clock.now() < state.outageEndsAt) {
        state.refused += 1;
        await (init?.body === undefined ? undefined : new Request(input, init).text());
        return Response.json(
          { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: `req_${state.calls}` },
          { status: 529, headers: { 'x-should-retry': 'true', 'request-id': `req_${state.calls}` } },
        );
      }
      return simulator.fetch(input, init);
    },
  };
  return state;
}
