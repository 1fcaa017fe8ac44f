import { useQueryClient } from '@tanstack/react-query';
import { modelDisplayName } from 'claude-overload-kit/offers';
import { useEffect, useState } from 'react';
import { FALLBACK_MODEL, MAIN_MODEL } from './models.js';

const MODES = [
  { value: 'normal', label: 'Normal', hint: 'Every request is answered.' },
  { value: 'episodes', label: 'Busy spells', hint: 'Claude turns away every request for 10 s, 3 s after your next question, and every minute.' },
  { value: 'busy', label: 'Busy', hint: 'Claude turns away more than half the requests (the line mostly absorbs it).' },
  { value: 'outage', label: 'Outage', hint: 'Claude turns away every request.' },
  { value: 'rate-limited', label: 'Rate-limited', hint: 'Too many requests: Claude asks the app to wait.' },
  { value: 'broken-streams', label: 'Broken streams', hint: 'Streams break after their first words.' },
] as const;

type Mode = (typeof MODES)[number]['value'];

/** The simulator's load, set through the dev server's /api/simulator route. Absent when a real API key is used. */
export function LoadControl() {
  const [mode, setMode] = useState<Mode>();
  const [upstream, setUpstream] = useState<'simulator' | 'anthropic'>();
  const [incident, setIncident] = useState(false);
  const [mainOverloaded, setMainOverloaded] = useState(false);
  const queryClient = useQueryClient();

  useEffect(() => {
    fetch('/api/simulator')
      .then((r) => r.json())
      .then((body: { mode?: Mode; incident?: boolean; mainModelOverloaded?: boolean; upstream: 'simulator' | 'anthropic' }) => {
        setUpstream(body.upstream);
        setMode(body.mode);
        setIncident(Boolean(body.incident));
        setMainOverloaded(Boolean(body.mainModelOverloaded));
      })
      .catch(() => setUpstream('anthropic'));
  }, []);

  const choose = async (next: Mode) => {
    setMode(next);
    await fetch('/api/simulator', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode: next }) });
  };

  const toggleIncident = async (open: boolean) => {
    setIncident(open);
    await fetch('/api/simulator', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ incident: open }) });
    await queryClient.invalidateQueries({ queryKey: ['claude-overload-kit', 'status'] });
  };

  const toggleMainOverloaded = async (overloaded: boolean) => {
    setMainOverloaded(overloaded);
    await fetch('/api/simulator', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mainModelOverloaded: overloaded }),
    });
  };

  if (upstream === 'anthropic') {
    return (
      <section className="pg-card" aria-labelledby="load-title">
        <h2 id="load-title">Claude's load</h2>
        <p>Talking to the real Claude API (ANTHROPIC_API_KEY is set). Unset it to use the simulator.</p>
      </section>
    );
  }

  return (
    <section className="pg-card" aria-labelledby="load-title">
      <h2 id="load-title">Claude's load (simulated)</h2>
      <div role="radiogroup" aria-labelledby="load-title" className="pg-modes">
        {MODES.map((m) => (
          <label key={m.value} className="pg-mode" data-checked={mode === m.value}>
            <input type="radio" name="load" value={m.value} checked={mode === m.value} disabled={mode === undefined} onChange={() => choose(m.value)} />
            <span className="pg-mode-label">{m.label}</span>
            <span className="pg-mode-hint">{m.hint}</span>
          </label>
        ))}
      </div>
      <label className="pg-toggle">
        <input type="checkbox" checked={incident} onChange={(e) => toggleIncident(e.target.checked)} />
        An incident on the status page
      </label>
      <label className="pg-toggle">
        <input type="checkbox" checked={mainOverloaded} onChange={(e) => toggleMainOverloaded(e.target.checked)} />
        Only {modelDisplayName(MAIN_MODEL)} overloaded ({modelDisplayName(FALLBACK_MODEL)} has room)
      </label>
    </section>
  );
}
