// claude-overload-kit/lanes — priority lanes for the browser gate (`gate: { lanes: priorityLanes() }`): background work
// behind the people. An app that sends no background work need not import it, and ships none of it.
export { priorityLanes } from '../core/lanes.js';
export type { BackgroundLane, GateLanes, LaneHost } from '../core/gate-types.js';
