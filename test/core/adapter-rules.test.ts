import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDemandStore } from '../../src/core/demand.js';
import { ClaudeError } from '../../src/core/failure.js';
import { createIncidentWatch, statusWatch } from '../../src/core/incident-watch.js';
import { systemClock } from '../../src/core/clock.js';
import { createRetryPolicy } from '../../src/core/policy.js';
import { createQueryRegistry } from '../../src/core/query-registry.js';
import { createRetryer } from '../../src/core/retryer.js';
import { canRevive, offerRevive } from '../../src/core/revive.js';
import type { StatusReport } from '../../src/core/status-page.js';

const policy = createRetryPolicy({ random: () => 0.5 });
beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const report = (incidents: StatusReport['incidents']): StatusReport => ({
  indicator: incidents.length ? 'major' : 'none', description: '', incidents, stale: false, fetchedAt: 0,
  api: { name: 'Claude API (api.anthropic.com)', status: incidents.length ? 'partial_outage' : 'operational' },
});
const elevated = { name: 'Elevated errors', status: 'investigating', impact: 'major', components: ['Claude API (api.anthropic.com)'] };

describe('the rules adapters share, in core', () => {
  it('wakes only the readers of the query that changed, and keeps a failed retryer until the next run', async () => {
    const registry = createQueryRegistry();
    const a = vi.fn();
    const b = vi.fn();
    registry.subscribe('a', a);
    registry.subscribe('b', b);
    const failing = createRetryer({ run: () => Promise.reject(new ClaudeError({ kind: 'invalid_request', message: 'x' })), policy });
    await expect(registry.run('a', () => failing)).rejects.toMatchObject({ kind: 'invalid_request' });
    expect(a).toHaveBeenCalled();
    expect(b).not.toHaveBeenCalled();
    expect(registry.get('a')).toBe(failing);
    await expect(registry.run('a', () => createRetryer({ run: async () => 'ok', policy }))).resolves.toBe('ok');
    expect(registry.get('a')).toBeUndefined();
  });

  it('offers "Retry now" to revive only a request given up on that waiting might have cured', async () => {
    const demand = createDemandStore();
    const revive = vi.fn();
    const overloaded = new ClaudeError({ kind: 'overloaded', message: 'x' });
    const spend = new ClaudeError({ kind: 'spend_limited', message: 'x' });
    expect(canRevive({ phase: 'failed', failure: overloaded })).toBe(true);
    expect(canRevive({ phase: 'failed', failure: spend })).toBe(false);
    expect(canRevive({ phase: 'waiting', failure: overloaded })).toBe(false);
    const stop = offerRevive(demand, { phase: 'failed', failure: overloaded }, revive);
    offerRevive(demand, { phase: 'failed', failure: spend }, revive);
    demand.retryNow();
    expect(revive).toHaveBeenCalledTimes(1);
    stop();
    demand.retryNow();
    expect(revive).toHaveBeenCalledTimes(1);
  });

  it('shows an incident once per status, then as resolved for a minute, without React', async () => {
    const demand = createDemandStore();
    statusWatch().setup({ demand, clock: systemClock });
    const onIncident = vi.fn();
    const watch = createIncidentWatch(demand, { onIncident });
    watch.report(report([elevated]));
    watch.report(report([elevated]));
    expect(onIncident).toHaveBeenCalledTimes(1);
    expect(demand.getSnapshot()).toMatchObject({ level: 'incident', incident: { name: 'Elevated errors', status: 'investigating' } });
    watch.report(report([]));
    expect(onIncident).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'resolved' }));
    expect(demand.getSnapshot().incident?.status).toBe('resolved');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(demand.getSnapshot().level).toBe('normal');
    expect(vi.getTimerCount()).toBe(0);
  });
});
