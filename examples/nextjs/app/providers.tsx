'use client';

import { ClaudeProvider } from 'claude-overload-kit';
import { escalation } from 'claude-overload-kit/escalation';
import { statusWatch, useAnthropicStatus } from 'claude-overload-kit/status';
import type { ReactNode } from 'react';

// Functions cannot cross from a Server Component to a client one, so the provider's features and function props
// (headers, fetch) live here, in a client component, as TanStack Query documents for QueryClientProvider.
const features = [
  escalation({
    onEscalate(stage, info) {
      if (stage === 'contact') console.warn('Claude has been busy for an hour; request ids:', info.requestIds);
    },
  }),
  statusWatch(),
];

export function Providers({ children }: { children: ReactNode }) {
  return (
    <ClaudeProvider
      endpoint="/api/claude"
      headers={() => ({ 'x-client-time-zone': Intl.DateTimeFormat().resolvedOptions().timeZone })}
      features={features}
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
