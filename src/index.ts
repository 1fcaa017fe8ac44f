// claude-overload-kit — what a React app imports: the provider, the hooks, the components, the client they share,
// its error and their option types. Building blocks (gate, retryer, demand store, transport, the copy's helpers…)
// are under 'claude-overload-kit/core'; what only some apps use has an entry of its own (ARCHITECTURE.md). Every
// name here is deliberate API, at most 30 runtime values; test/api/exports.test.ts snapshots the list.
export * from './react/index.js';
export * from './components/index.js';
export {
  claudeQueryOptions, claudeQueryKey,
  type ClaudeQueryOptions, type ClaudeQueryConfig, type ClaudeQueryKey, type ClaudeQueryLabel,
} from './query/index.js';
export { createClaudeClient, type ClaudeClient, type ClaudeClientOptions, type RunOptions, type StreamOptions } from './core/client.js';
export { ClaudeError, isClaudeError, toClaudeError, type ClaudeErrorContext } from './core/failure.js';
export { messageText, type Message, type MessageRequest } from './core/transport.js';
export type { FallbackOptions } from './core/fallback.js';
export type { RequestPriority } from './core/gate.js';
export type { ClaudeMessages } from './core/messages.js';
export type { StatusReport } from './core/status-page.js';
export type {
  FailureKind, DemandLevel, DemandSnapshot, DemandOffer, EscalationStage, RetryPhase, StatusIncident, FallbackOffer, OfferScope,
} from './core/types.js';
export type { ClaudeFeature } from './core/features.js';
