import type { Meta, ReactRenderer, StoryObj } from '@storybook/react-vite';
import { http, HttpResponse, type HttpHandler } from 'msw';
import { useState } from 'react';
import type { BeforeEach } from 'storybook/internal/types';
import { expect, waitFor } from 'storybook/test';
import { HighDemandBanner } from '../src/components/index.js';
import { statusWatch, useAnthropicStatus } from '../src/features/status.js';
import { ClaudeProvider } from '../src/react/index.js';
import { createStatusPageSimulator, type SimulatedIncidentOptions } from '../src/testing/index.js';
import incidentSummary from '../test/fixtures/statuspage-summary-incident.json';
import operationalSummary from '../test/fixtures/statuspage-summary-operational.json';
import { AppFrame } from './support.js';

function Watch() {
  const status = useAnthropicStatus({ endpoint: '/api/status' });
  return (
    <div className="sb-card">
      <p data-testid="status-read">
        {status.isSuccess ? `Status page read: ${status.data.description}` : status.isError ? 'Status page unreachable' : 'Reading the status page…'}
      </p>
    </div>
  );
}

function StatusApp() {
  const [key] = useState(() => Math.random());
  return (
    <ClaudeProvider key={key} endpoint="/api/claude" features={[statusWatch()]}>
      <AppFrame>
        <HighDemandBanner />
        <Watch />
      </AppFrame>
    </ClaudeProvider>
  );
}

/** MSW answers the app's status route (`createStatusHandler`'s shape) with `summary`. */
function serve(summary: object | (() => Response)): BeforeEach<ReactRenderer> {
  return async (context) => {
    const { msw } = context as unknown as { msw: { use: (...handlers: HttpHandler[]) => void } };
    msw.use(
      http.get('/api/status', () =>
        typeof summary === 'function'
          ? (summary as () => Response)()
          : HttpResponse.json({ ...summary, fetchedAt: Date.now(), stale: false }),
      ),
    );
  };
}

function simulated(options: SimulatedIncidentOptions) {
  const page = createStatusPageSimulator();
  page.openIncident(options);
  return page.summary();
}

const meta = {
  title: 'Live/Status page',
  component: StatusApp,
  // Polling over real time: the screenshot run leaves the clock running (test/production).
  tags: ['real-time'],
  parameters: {
    docs: { description: { component: "useAnthropicStatus reading the app's status route, and the banner naming what Anthropic reports." } },
  },
} satisfies Meta<typeof StatusApp>;

export default meta;
type Story = StoryObj<typeof meta>;

/** All green: no banner. */
export const Operational: Story = {
  beforeEach: serve(operationalSummary),
  play: async ({ canvas }) => {
    await canvas.findByText('Status page read: All Systems Operational');
    await expect(canvas.queryByRole('region', { name: 'Claude status' })).toBeNull();
  },
};

/** A minor incident touching the API, still being investigated. */
export const MinorIncident: Story = {
  beforeEach: serve(simulated({ name: 'Slower responses on Claude Haiku', impact: 'minor', status: 'investigating' })),
  play: async ({ canvas }) => {
    const banner = await canvas.findByRole('region', { name: 'Claude status' });
    await expect(banner).toHaveTextContent('Anthropic reports: Slower responses on Claude Haiku — Investigating');
  },
};

/** The real shape of a major incident with two updates (status.claude.com's summary.json). */
export const MajorIncidentWithUpdates: Story = {
  beforeEach: serve(incidentSummary),
  play: async ({ canvas }) => {
    const banner = await canvas.findByRole('region', { name: 'Claude status' });
    await expect(banner).toHaveTextContent('Elevated errors on Claude Sonnet');
    await expect(banner).toHaveTextContent('Cause identified');
    await expect(canvas.getByRole('link', { name: /Elevated errors on Claude Sonnet/ })).toHaveAttribute('href', 'https://stspg.io/x1yq3k5m7n9p');
  },
};

/** The status route answers a bot-challenge page: status unknown, the app carries on without a banner. */
export const StatusUnknown: Story = {
  beforeEach: serve(() => new HttpResponse('<html><title>Just a moment...</title></html>', { status: 503, headers: { 'content-type': 'text/html' } })),
  play: async ({ canvas }) => {
    await waitFor(() => expect(canvas.getByTestId('status-read')).toHaveTextContent('Status page unreachable'));
    await expect(canvas.queryByRole('region', { name: 'Claude status' })).toBeNull();
  },
};
