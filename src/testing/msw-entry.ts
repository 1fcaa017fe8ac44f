// claude-overload-kit/testing/msw — MSW handlers built from the simulator. Apart from ./testing so that running the
// simulator (a dev server, a load test) never needs msw, an optional peer.
export { createSimulatorHandlers } from './msw.js';
export type { SimulatorHandlersOptions } from './msw.js';
