import { createStatusHandler } from 'claude-overload-kit/server';
import { simulated, statusPageSimulator } from '../../../lib/simulator';

// Anthropic's status page, read on the server (browsers meet CORS and bot challenges); cached 60 s.
const statusPage = simulated ? statusPageSimulator() : undefined;

export const GET = createStatusHandler(statusPage ? { fetch: () => statusPage.fetch() } : {});
