// claude-overload-kit/query — the kit's requests as TanStack Query options. No React in here (and no "use client"
// in its build), so a server component can prefetch with it; the root entry re-exports it.
export {
  claudeQueryOptions, claudeQueryKey,
  type ClaudeQueryOptions, type ClaudeQueryConfig, type ClaudeQueryKey, type ClaudeQueryLabel,
} from './claudeQueryOptions.js';
