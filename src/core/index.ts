// claude-overload-kit/core — the building blocks, framework-free: no React, no DOM access at import time. What an
// adapter for another framework, or an app without one, composes (ARCHITECTURE.md). Every name here is deliberate
// API; internals (rules.ts, fifo.ts, hash.ts, util.ts, the transport's stream reader, the line's header names and
// tickets…) are imported by the kit's own layers from their modules, never through this entry.
// test/api/exports.test.ts snapshots this list.

export { ClaudeError, toClaudeError, readClaudeError, isClaudeError, type ClaudeErrorInit, type ClaudeErrorContext } from './failure.js';
export {
  createRetryPolicy,
  type RetryPolicy,
  type RetryPolicyOptions,
  type RetryContext,
  type ConfiguredRetryPolicy,
  type KindPolicy,
  type ResolvedKindPolicy,
} from './policy.js';
export { fullJitter, equalJitter, decorrelatedJitter, exponentialDelay, type JitterStrategy, type BackoffInput } from './backoff.js';
export { createRetryer, type Retryer, type RetryerOptions, type RetrySnapshot, type FallbackChain } from './retryer.js';
export {
  createGate,
  type Gate,
  type GateOptions,
  type GateSnapshot,
  type GateState,
  type GateOutcome,
  type GatePermit,
  type AcquireOptions,
  type ModelGateSnapshot,
  type RequestPriority,
} from './gate.js';
export type { FallbackOptions } from './fallback.js';
export { createDemandStore, NORMAL_DEMAND, type DemandStore, type DemandStoreOptions, type DemandExtension, type DemandEpisode, type RefineContext } from './demand.js';
export type { ClaudeFeature, FeatureHost } from './features.js';
export {
  createTransport,
  messageText,
  type Transport,
  type TransportOptions,
  type Message,
  type MessageRequest,
  type StreamCallbacks,
} from './transport.js';
export { createClaudeClient, type ClaudeClient, type ClaudeClientOptions, type StreamOptions, type RunOptions } from './client.js';
export { createQueryRegistry, queryRegistryOf, type QueryRegistry } from './query-registry.js';
export { retryStateOf, IDLE_RETRY_STATE, type RetryState } from './retry-state.js';
export { canRevive, offerRevive } from './revive.js';
export { createIncidentWatch, type IncidentWatch, type IncidentWatchOptions } from './incident-watch.js';
export { systemClock, alwaysOnline, type Clock, type OnlineSource } from './clock.js';
// The words, framework-free, and what a translator needs to write them in another language from outside the package.
export {
  defaultMessages,
  mergeMessages,
  formatWait,
  plural,
  headlineFor,
  escalationFor,
  incidentText,
  describeIncidentStatus,
  type ClaudeMessages,
} from './messages.js';
export type { Subscribable } from './store.js';
export type {
  FailureKind, DemandLevel, DemandSnapshot, EscalationStage, RetryPhase, StatusIncident, DemandOffer, FallbackOffer, OfferScope, LinePlace,
  AttemptFunction,
} from './types.js';
export type { StatusReport, StatusSummary, StatusPageIncident, StatusIndicator } from './status-page.js';

