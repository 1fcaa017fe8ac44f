export { createOverloadSimulator } from './simulator.js';
export type {
  ModelCapacity,
  OverloadSimulator,
  OverloadSimulatorOptions,
  SimulatorClock,
  SimulatorFetch,
  SimulatorSettings,
} from './simulator.js';
export { SIMULATOR_MODES, SIMULATOR_OUTCOMES, SimulatedNetworkError } from './outcomes.js';
export type { SimulatorMode, SimulatorOutcome } from './outcomes.js';
export type { SimulatorStats } from './capacity.js';
export { listenSimulator } from './listen.js';
export type { ListenOptions, ListeningSimulator } from './listen.js';
export { createStatusPageSimulator } from './status-page.js';
export type { StatusPageSimulator, SimulatedIncidentOptions } from './status-page.js';
