import { ClaudeProvider, ClaudeToaster, HighDemandBanner } from 'claude-overload-kit';
import { escalation } from 'claude-overload-kit/escalation';
import { modelFallback } from 'claude-overload-kit/fallback';
import { fallbackOffers } from 'claude-overload-kit/offers';
import { statusWatch, useAnthropicStatus } from 'claude-overload-kit/status';
import { Chat } from './Chat.js';
import { DemandPanel } from './DemandPanel.js';
import { LoadControl } from './LoadControl.js';
import { FALLBACK_MODEL, MAIN_MODEL } from './models.js';
import { Summary } from './Summary.js';

/** Escalation with a log line per stage, the status page in the banner, and the fallback offer as buttons. */
const FEATURES = [
  escalation({ onEscalate: (stage, info) => console.info(`[claude-overload-kit] escalation: ${stage}`, info.requestIds) }),
  statusWatch(),
  fallbackOffers(),
];
// While the main model holds a request up, the banner offers the faster one; the person decides. 6 s instead of the
// default 15 s so the offer shows soon after the handler's 5 s hold in this demo.
const chain = modelFallback({ models: [MAIN_MODEL, FALLBACK_MODEL], mode: 'offer', afterMs: 6_000 });

/** What a user's app looks like with the kit: one provider, the banner at the top, the toaster, and the hooks. */
export function App() {
  return (
    <ClaudeProvider
      endpoint="/api/claude"
      fallback={chain}
      features={FEATURES}
    >
      <StatusWatch />
      <div className="pg-shell">
        <HighDemandBanner />
        <header className="pg-header">
          <h1>claude-overload-kit playground</h1>
          <p>
            Set Claude's load below, then ask something. The banner and the toast tell the person what is happening;
            the kit retries on its own.
          </p>
        </header>
        <main className="pg-grid">
          <LoadControl />
          <Chat />
          <Summary />
          <DemandPanel />
        </main>
      </div>
      <ClaudeToaster />
    </ClaudeProvider>
  );
}

/** Reads the app's status route so an incident on Anthropic's status page shows in the banner. */
function StatusWatch() {
  useAnthropicStatus({ endpoint: '/api/status', intervalMs: 10_000, busyIntervalMs: 5_000 });
  return null;
}
