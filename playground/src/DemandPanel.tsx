import { useClaudeDemand } from 'claude-overload-kit';

/** What useClaudeDemand() returns, for developers reading the playground. */
export function DemandPanel() {
  const { retryNow, cancel, dismiss, ...demand } = useClaudeDemand();
  return (
    <section className="pg-card" aria-labelledby="demand-title">
      <h2 id="demand-title">useClaudeDemand()</h2>
      <pre className="pg-pre">{JSON.stringify(demand, null, 2)}</pre>
    </section>
  );
}
