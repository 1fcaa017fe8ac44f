// @vitest-environment jsdom
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QueryClient } from '@tanstack/react-query';
import { act, render, screen } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { statusWatch, useAnthropicStatus } from '../../src/features/status.js';
import { ClaudeProvider, useClaudeDemand } from '../../src/react/index.js';

const STATUS = 'http://localhost/api/status';
const INCIDENT = JSON.parse(readFileSync(resolve(process.cwd(), 'test/fixtures', 'statuspage-summary-incident.json'), 'utf8'));
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  server.use(http.get(STATUS, () => HttpResponse.json({ ...INCIDENT, fetchedAt: Date.now(), stale: false })));
});
afterEach(() => {
  server.resetHandlers();
  vi.useRealTimers();
});
afterAll(() => server.close());

function StatusDot() {
  useAnthropicStatus({ endpoint: STATUS });
  return null;
}

function Level() {
  return <p data-testid="level">{useClaudeDemand().level}</p>;
}

function App({ details }: { details: boolean }) {
  return (
    <>
      <StatusDot />
      {details && <StatusDot />}
      <Level />
    </>
  );
}

describe('useAnthropicStatus in two places', () => {
  it('keeps the incident on the demand summary when one of two readers unmounts', async () => {
    const queryClient = new QueryClient();
    const tree = (details: boolean) => (
      <ClaudeProvider endpoint="http://localhost/api/claude" queryClient={queryClient} features={[statusWatch()]}>
        <App details={details} />
      </ClaudeProvider>
    );
    const view = render(tree(true));
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByTestId('level').textContent).toBe('incident');
    // The person leaves the page that had its own status reader; the header's stays.
    view.rerender(tree(false));
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByTestId('level').textContent).toBe('incident');
    // And through the next polls: the reader left says nothing new while the incident lasts.
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(screen.getByTestId('level').textContent).toBe('incident');
    view.unmount();
  });
});
