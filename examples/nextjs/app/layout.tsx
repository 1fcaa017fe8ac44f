import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { ClaudeToaster, HighDemandBanner } from 'claude-overload-kit';
import 'claude-overload-kit/styles.css';
import { Providers } from './providers';
import './globals.css';

export const metadata: Metadata = {
  title: 'claude-overload-kit on Next.js',
  description: 'A chat that stays calm when Claude is busy.',
};

// A Server Component: the banner and the toaster render here directly, with props a server can send (strings,
// numbers, booleans); the provider's function props live in providers.tsx.
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <HighDemandBanner statusPageUrl="https://status.claude.com" />
          {children}
          <ClaudeToaster showBackToNormal backToNormalMs={4000} />
        </Providers>
      </body>
    </html>
  );
}
