// claude-overload-kit/core — framework-free: no React, no DOM access at import time.
// Every name here is deliberate API; internals (rules.ts, line.ts, util.ts…) are imported by the kit's own layers
// from their modules, never through this entry. test/api/exports.test.ts snapshots this list.
import { hashRequest as hashRequestInternal, stableStringify as stableStringifyInternal } from './hash.js';

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
export type { JitterStrategy } from './backoff.js';
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
// The chain itself (`modelFallback`) is its own entry, claude-overload-kit/fallback.
export type { FallbackOffer, OfferScope } from './fallback-offer.js';
export { createDemandStore, NORMAL_DEMAND, type DemandStore, type DemandStoreOptions, type EscalationInfo, type EscalationOptions } from './demand.js';
export {
  createTransport,
  readMessageStream,
  messageText,
  type Transport,
  type TransportOptions,
  type Message,
  type MessageRequest,
  type StreamCallbacks,
} from './transport.js';
export { createClaudeClient, type ClaudeClient, type ClaudeClientOptions, type StreamOptions, type RunOptions, type AttemptFunction } from './client.js';
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
  modelDisplayName,
  offerFallbackText,
  answeredByText,
  type ClaudeMessages,
} from './messages.js';
export type { Subscribable } from './store.js';
export type { FailureKind, DemandLevel, DemandSnapshot, EscalationStage, RetryPhase, StatusIncident } from './types.js';
export type { StatusReport, StatusSummary, StatusPageIncident, StatusIndicator } from './status-page.js';

/**
 * JSON with object keys sorted.
 * @deprecated An internal of the query cache key, exported by mistake; removed from the public entries in the next
 * minor release. Use `claudeQueryKey(request)` for a cache key, or a library such as `fast-json-stable-stringify`.
 */
export const stableStringify: (value: unknown) => string = stableStringifyInternal;

/**
 * A short stable hash of a request.
 * @deprecated An internal of the query cache key, exported by mistake; removed from the public entries in the next
 * minor release. Use `claudeQueryKey(request)`.
 */
export const hashRequest: (request: unknown) => string = hashRequestInternal;
export { newLineTicket, TICKET_HEADER, AHEAD_HEADER, EXPECTED_WAIT_HEADER, MODEL_FALLBACK_HEADER, PRIORITY_HEADER, type LinePlace, type LineTicket } from './line-ticket.js';
