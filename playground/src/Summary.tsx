import { useClaudeQuery } from 'claude-overload-kit';
import { useState } from 'react';

const ARTICLE =
  'When many clients retry at once after an outage, they can overload the service again. Exponential backoff ' +
  'spaces retries out; jitter spreads them so clients do not return in lockstep.';

/** A cached query: the same text summarised twice costs one request. */
export function Summary() {
  const [asked, setAsked] = useState(false);
  const summary = useClaudeQuery(
    asked ? { max_tokens: 200, messages: [{ role: 'user', content: `Summarise in one sentence: ${ARTICLE}` }] } : null,
  );
  return (
    <section className="pg-card" aria-labelledby="summary-title">
      <h2 id="summary-title">Cached summary</h2>
      <p className="pg-muted">{ARTICLE}</p>
      <button type="button" className="pg-button pg-secondary" onClick={() => setAsked(true)} disabled={asked && summary.isFetching}>
        Summarise
      </button>
      <p className="pg-status">
        {summary.isFetching ? `Asking Claude… (attempt ${Math.max(1, summary.retry.attempt)})` : summary.text ? 'From cache on repeat' : ''}
      </p>
      {summary.text && <p className="pg-answer">{summary.text}</p>}
    </section>
  );
}
