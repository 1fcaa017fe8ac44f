import { dehydrate, HydrationBoundary, QueryClient } from '@tanstack/react-query';
import { claudeQueryOptions } from 'claude-overload-kit/query';
import { claudeOnServer } from '../../lib/claude-server';
import { RELEASE_NOTES_REQUEST } from '../../lib/prompts';
import { Summary } from './summary';

// Asked per visit, not once at build time.
export const dynamic = 'force-dynamic';

/** How long the server waits for Claude before it sends the page and leaves the wait (and the banner) to the browser. */
const PREFETCH_BUDGET_MS = 4_000;

export default async function SummaryPage() {
  const queryClient = new QueryClient();
  const deadline = setTimeout(() => void queryClient.cancelQueries(), PREFETCH_BUDGET_MS);
  await queryClient.prefetchQuery(claudeQueryOptions(claudeOnServer, RELEASE_NOTES_REQUEST));
  clearTimeout(deadline);
  return (
    <main className="page">
      <h1>Answered on the server</h1>
      <HydrationBoundary state={dehydrate(queryClient)}>
        <Summary />
      </HydrationBoundary>
    </main>
  );
}
