// claude-overload-kit/core — framework-free: no React, no DOM access at import time.
export { ClaudeError, toClaudeError, readClaudeError, isClaudeError, type ClaudeErrorInit } from './failure.js';
export { createRetryPolicy, type RetryPolicy, type RetryPolicyOptions, type RetryContext } from './policy.js';
export { createRetryer, type Retryer, type RetryerOptions, type RetrySnapshot } from './retryer.js';
export { createGate, type Gate, type GateOptions, type GateSnapshot, type GateOutcome, type GatePermit } from './gate.js';
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
export { createClaudeClient, type ClaudeClient, type ClaudeClientOptions, type StreamOptions, type RunOptions } from './client.js';
export { systemClock, alwaysOnline, type Clock, type OnlineSource } from './clock.js';
export { hashRequest, stableStringify } from './hash.js';
export type { Subscribable } from './store.js';
export type { FailureKind, DemandLevel, DemandSnapshot, EscalationStage, RetryPhase, StatusIncident } from './types.js';
