import { describe, expect, it } from 'vitest';
import {
  StatusPageError,
  affectsClaudeApi,
  isClaudeApiDegraded,
  parseStatusReport,
  parseStatusSummary,
  readStatusSummary,
} from '../../src/core/status-page.js';
import type { StatusSummary } from '../../src/core/status-page.js';
import operational from '../fixtures/statuspage-summary-operational.json' with { type: 'json' };
import incident from '../fixtures/statuspage-summary-incident.json' with { type: 'json' };

const CHALLENGE_HTML =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>' +
  '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script></body></html>';

function caught(run: () => unknown): StatusPageError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatusPageError) return error;
    throw error;
  }
  throw new Error('expected a StatusPageError');
}

async function rejected(promise: Promise<unknown>): Promise<StatusPageError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (reason: unknown) => reason,
  );
  if (error instanceof StatusPageError) return error;
  throw error;
}

describe('parseStatusSummary', () => {
  it('reads an operational page as indicator none, API operational and no incidents', () => {
    const summary = parseStatusSummary(operational);
    expect(summary).toEqual({
      indicator: 'none',
      description: 'All Systems Operational',
      api: { name: 'Claude API (api.anthropic.com)', status: 'operational' },
      incidents: [],
      updatedAt: Date.parse('2026-11-27T18:02:11.503Z'),
      pageUrl: 'https://status.claude.com',
    });
    expect(affectsClaudeApi(summary)).toBeUndefined();
    expect(isClaudeApiDegraded(summary)).toBe(false);
  });

  it('reads an incident page with the incident, its link and its newest update', () => {
    const summary = parseStatusSummary(incident);
    expect(summary.indicator).toBe('major');
    expect(summary.description).toBe('Partial System Outage');
    expect(summary.api).toEqual({ name: 'Claude API (api.anthropic.com)', status: 'partial_outage' });
    expect(summary.incidents).toEqual([
      {
        name: 'Elevated errors on Claude Sonnet',
        status: 'identified',
        impact: 'major',
        url: 'https://stspg.io/x1yq3k5m7n9p',
        latestUpdate: 'The issue has been identified and a fix is being implemented.',
        startedAt: Date.parse('2026-11-27T19:24:51.323Z'),
        components: ['Claude API (api.anthropic.com)'],
      },
    ]);
    expect(affectsClaudeApi(summary)?.name).toBe('Elevated errors on Claude Sonnet');
    expect(isClaudeApiDegraded(summary)).toBe(true);
  });

  it('picks the newest update by time even when the list is out of order', () => {
    const summary = parseStatusSummary({
      incidents: [
        {
          name: 'Slow responses',
          incident_updates: [
            { body: 'Investigating.', created_at: '2026-01-01T10:00:00Z' },
            { body: 'A fix is rolling out.', created_at: '2026-01-01T11:00:00Z' },
            { body: '   ', created_at: '2026-01-01T12:00:00Z' },
          ],
        },
      ],
    });
    expect(summary.incidents[0]?.latestUpdate).toBe('A fix is rolling out.');
  });

  it('tolerates missing fields', () => {
    const summary = parseStatusSummary({ incidents: [{ name: 'Something', created_at: '2026-01-01T00:00:00Z' }] });
    expect(summary).toEqual({
      indicator: 'unknown',
      description: '',
      incidents: [
        {
          name: 'Something',
          status: 'unknown',
          impact: 'unknown',
          components: [],
          startedAt: Date.parse('2026-01-01T00:00:00Z'),
        },
      ],
    });
    expect(parseStatusSummary({ status: {} }).incidents).toEqual([]);
  });

  it('reads unknown values as unknown or keeps them verbatim', () => {
    const summary = parseStatusSummary({
      status: { indicator: 'apocalyptic', description: 42 },
      page: { url: 'javascript:alert(1)', updated_at: 'yesterday' },
      components: [{ name: 'Claude API (api.anthropic.com)', status: 'on_fire' }, 'junk', null],
      incidents: [
        null,
        'junk',
        { status: 'identified' },
        { name: 'Odd', status: 'paused', impact: 'cosmic', shortlink: 'javascript:x' },
      ],
    });
    expect(summary.indicator).toBe('unknown');
    expect(summary.description).toBe('');
    expect(summary.api).toEqual({ name: 'Claude API (api.anthropic.com)', status: 'on_fire' });
    expect(summary.pageUrl).toBeUndefined();
    expect(summary.updatedAt).toBeUndefined();
    expect(summary.incidents).toEqual([{ name: 'Odd', status: 'paused', impact: 'cosmic', components: [] }]);
  });

  it('builds the incident link from the page url when the shortlink is missing', () => {
    const summary = parseStatusSummary({
      page: { url: 'https://status.claude.com' },
      incidents: [{ id: 'abc', name: 'X' }],
    });
    expect(summary.incidents[0]?.url).toBe('https://status.claude.com/incidents/abc');
  });

  it('throws a malformed StatusPageError for values that are not a summary', () => {
    for (const value of [null, 'ok', 42, [], { error: 'nope' }]) {
      expect(caught(() => parseStatusSummary(value)).kind).toBe('malformed');
    }
  });

  it('reads its own normalised form back, as the status handler serves it', () => {
    const summary = parseStatusSummary(incident);
    const report = parseStatusReport(JSON.parse(JSON.stringify({ ...summary, stale: true, fetchedAt: 5 })));
    expect(report).toEqual({ ...summary, stale: true, fetchedAt: 5 });
    expect(caught(() => parseStatusReport({ ...summary })).kind).toBe('malformed');
  });
});

describe('affectsClaudeApi', () => {
  const base: StatusSummary = { indicator: 'minor', description: '', incidents: [] };
  const claudeAi = { name: 'Login issues', status: 'investigating', impact: 'critical', components: ['claude.ai'] };

  it('ignores incidents on other components', () => {
    const summary = { ...base, api: { name: 'Claude API', status: 'operational' }, incidents: [claudeAi] };
    expect(affectsClaudeApi(summary)).toBeUndefined();
    expect(isClaudeApiDegraded(summary)).toBe(false);
  });

  it('counts an incident naming no component only while the API component is degraded', () => {
    const unscoped = { name: 'Errors', status: 'investigating', impact: 'minor', components: [] };
    expect(affectsClaudeApi({ ...base, incidents: [unscoped] })).toBeUndefined();
    const degraded = { ...base, api: { name: 'Claude API', status: 'major_outage' }, incidents: [unscoped] };
    expect(affectsClaudeApi(degraded)).toBe(unscoped);
  });

  it('prefers the most severe ongoing incident and skips resolved ones', () => {
    const api = ['Claude API (api.anthropic.com)'];
    const minor = { name: 'Minor', status: 'monitoring', impact: 'minor', components: api };
    const major = { name: 'Major', status: 'identified', impact: 'major', components: api };
    const resolved = { name: 'Done', status: 'resolved', impact: 'critical', components: api };
    expect(affectsClaudeApi({ ...base, incidents: [minor, resolved, major] })).toBe(major);
  });

  it('says the API is degraded when its component is, even without an incident', () => {
    expect(isClaudeApiDegraded({ ...base, api: { name: 'Claude API', status: 'under_maintenance' } })).toBe(true);
  });
});

describe('readStatusSummary', () => {
  const jsonResponse = (body: string, status = 200) =>
    new Response(body, { status, headers: { 'content-type': 'application/json' } });

  it('reads a JSON summary response', async () => {
    const summary = await readStatusSummary(jsonResponse(JSON.stringify(operational)));
    expect(summary.indicator).toBe('none');
  });

  it('throws a challenge error on a Cloudflare challenge page, without its markup in the message', async () => {
    const response = new Response(CHALLENGE_HTML, {
      status: 403,
      headers: { 'content-type': 'text/html; charset=UTF-8', 'cf-mitigated': 'challenge' },
    });
    const error = await rejected(readStatusSummary(response));
    expect(error).toMatchObject({ kind: 'challenge', status: 403 });
    expect(error.message).not.toContain('<');
    const unmarked = new Response(CHALLENGE_HTML, { status: 403, headers: { 'content-type': 'text/html' } });
    expect((await rejected(readStatusSummary(unmarked))).kind).toBe('challenge');
  });

  it('throws a challenge error on any HTML page served with 200', async () => {
    const response = new Response('<html><body>Sign in to the Wi-Fi</body></html>', { status: 200 });
    expect((await rejected(readStatusSummary(response))).kind).toBe('challenge');
  });

  it('throws an http error on a non-2xx answer', async () => {
    const error = await rejected(readStatusSummary(jsonResponse('{"error":"boom"}', 500)));
    expect(error).toMatchObject({ kind: 'http', status: 500 });
    const proxyPage = new Response('<html>502 Bad Gateway</html>', {
      status: 502,
      headers: { 'content-type': 'text/html' },
    });
    expect(await rejected(readStatusSummary(proxyPage))).toMatchObject({ kind: 'http', status: 502 });
  });

  it('throws a malformed error on invalid or unexpected JSON', async () => {
    expect((await rejected(readStatusSummary(jsonResponse('{"status": ')))).kind).toBe('malformed');
    expect((await rejected(readStatusSummary(jsonResponse('')))).kind).toBe('malformed');
    expect((await rejected(readStatusSummary(jsonResponse('[1,2]')))).kind).toBe('malformed');
  });

  it('maps a body that fails to arrive to a network or timeout error', async () => {
    const failing = (name: string) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.error(Object.assign(new Error('cut'), { name }));
          },
        }),
      );
    expect((await rejected(readStatusSummary(failing('TypeError')))).kind).toBe('network');
    expect((await rejected(readStatusSummary(failing('AbortError')))).kind).toBe('timeout');
  });
});
