export { ClaudeProvider, useClaudeClient, useClaudeMessages, reactQueryOnline, type ClaudeProviderProps } from './context.js';
export { useClaudeMutation, type ClaudeMutationOptions, type ClaudeMutationResult } from './useClaudeMutation.js';
export { useClaudeQuery, type ClaudeQueryResult } from './useClaudeQuery.js';
export { useClaudeSuspenseQuery, type ClaudeSuspenseQueryOptions, type ClaudeSuspenseQueryResult } from './useClaudeSuspenseQuery.js';
export { useClaudeStream, type ClaudeStreamOptions, type ClaudeStreamResult, type ClaudeStreamStatus } from './useClaudeStream.js';
export { useClaudeDemand, type ClaudeDemand } from './useClaudeDemand.js';
export { useRetryCountdown } from './useRetryCountdown.js';
export { useRetryState, type RetryState } from './useRetryState.js';
