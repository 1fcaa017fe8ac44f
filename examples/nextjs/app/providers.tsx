'use client';

import { ClaudeProvider, useAnthropicStatus } from 'claude-overload-kit';
import type { ReactNode } from 'react';

// Functions cannot cross from a Server Component to a client one, so the provider's function props (headers,
// onEscalate, fetch) live here, in a client component, as TanStack Query documents for QueryClientProvider.
export function Providers({ children }: { children: ReactNode }) {
  return (
    <ClaudeProvider
      endpoint="/api/claude"
      headers={() => ({ 'x-client-time-zone': Intl.DateTimeFormat().resolvedOptions().timeZone })}
      onEscalate={(stage, info) => {
        if (stage === 'contact') console.warn('Claude has been busy for an hour; request ids:', info.requestIds);
      }}
    >
      <StatusWatch />
      {children}
    </ClaudeProvider>
  );
}

/** Incidents on Anthropic's status page show in the banner. */
function StatusWatch() {
  useAnthropicStatus({ endpoint: '/api/status' });
  return null;
}
