// @vitest-environment jsdom
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QueryClient } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HighDemandBanner } from '../../src/components/index.js';
import { statusWatch, useAnthropicStatus } from '../../src/features/status.js';
import { ClaudeProvider, useClaudeDemand } from '../../src/react/index.js';
import { createStatusPageSimulator } from '../../src/testing/status-page.js';

const STATUS = 'http://localhost/api/status';
const load = (name: string) => JSON.parse(readFileSync(resolve(process.cwd(), 'test/fixtures', name), 'utf8'));
const asReport = (summary: object) => ({ ...summary, fetchedAt: Date.now(), stale: false });

const server = setupServer();
let hits = 0;
let serve: () => object = () => load('statuspage-summary-operational.json');

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  hits = 0;
  vi.useFakeTimers({ shouldAdvanceTime: false, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  server.use(
    http.get(STATUS, () => {
      hits += 1;
      return HttpResponse.json(asReport(serve()));
    }),
  );
});
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

function Watcher({ onIncident }: { onIncident?: (i: { status: string }) => void }) {
  const status = useAnthropicStatus({ endpoint: STATUS, onIncident });
  const demand = useClaudeDemand();
  return (
    <p data-testid="watch">
      {status.data?.indicator ?? 'loading'}|{demand.level}
    </p>
  );
}

function renderApp(onIncident?: (i: { status: string }) => void, features = [statusWatch()]) {
  const queryClient = new QueryClient();
  return render(
    <ClaudeProvider endpoint="http://localhost/api/claude" queryClient={queryClient} features={features}>
      <HighDemandBanner />
      <Watcher onIncident={onIncident} />
    </ClaudeProvider>,
  );
}

describe('useAnthropicStatus', () => {
  it('stays quiet while the status page is all green', async () => {
    renderApp();
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByTestId('watch').textContent).toBe('none|normal');
    expect(screen.queryByRole('region', { name: 'Claude status' })).toBeNull();
  });

  it('names an incident touching the Claude API in the banner, with its link', async () => {
    serve = () => load('statuspage-summary-incident.json');
    const onIncident = vi.fn();
    renderApp(onIncident);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByTestId('watch').textContent).toBe('major|incident');
    const banner = screen.getByRole('region', { name: 'Claude status' });
    expect(banner.textContent).toContain('Elevated errors on Claude Sonnet');
    expect(banner.textContent).toMatch(/identified/i);
    expect(banner.textContent).not.toMatch(/\b(529|major_outage|partial_outage)\b/);
    expect(onIncident).toHaveBeenCalledWith(expect.objectContaining({ name: 'Elevated errors on Claude Sonnet', url: 'https://stspg.io/x1yq3k5m7n9p' }));
    // Announced with the level, not only shown in the link.
    expect(screen.getByRole('status').textContent).toContain('Elevated errors on Claude Sonnet');
    // Nothing waits, so there is nothing to retry.
    expect(screen.queryByRole('button', { name: 'Retry now' })).toBeNull();
  });

  it('polls every minute while all is well', async () => {
    serve = () => load('statuspage-summary-operational.json');
    renderApp();
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(hits).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(59_000));
    expect(hits).toBe(1);
    await act(() => vi.advanceTimersByTimeAsync(1_100));
    expect(hits).toBe(2);
  });

  it('says resolved when the incident clears, then goes back to normal', async () => {
    const page = createStatusPageSimulator({ now: () => Date.now() });
    page.openIncident({ name: 'Elevated errors on Claude Opus', status: 'identified' });
    serve = () => page.summary();
    const onIncident = vi.fn();
    renderApp(onIncident);
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByRole('region', { name: 'Claude status' }).textContent).toContain('Elevated errors on Claude Opus');

    page.resolveIncident();
    // While the level is not normal the page is read every 15 s.
    await act(() => vi.advanceTimersByTimeAsync(15_100));
    expect(screen.getByRole('region', { name: 'Claude status' }).textContent).toMatch(/resolved/i);
    expect(screen.getByRole('status').textContent).toContain('Anthropic reports the disruption is over.');
    expect(onIncident).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'resolved' }));

    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(screen.getByTestId('watch').textContent).toBe('none|normal');
    expect(screen.queryByRole('region', { name: 'Claude status' })).toBeNull();
  });

  it('says which feature is missing when the status watch runs without statusWatch()', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() => renderApp(undefined, [])).toThrow(/statusWatch\(\)/);
    vi.mocked(console.error).mockRestore();
  });

  it('keeps the app working when the status route answers an HTML page', async () => {
    server.use(http.get(STATUS, () => new HttpResponse('<html><body>Just a moment...</body></html>', { status: 503, headers: { 'content-type': 'text/html' } })));
    renderApp();
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByTestId('watch').textContent).toBe('loading|normal');
    expect(document.body.textContent).not.toContain('<html>');
  });
});
