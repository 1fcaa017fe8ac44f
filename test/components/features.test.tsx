// @vitest-environment jsdom
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { HighDemandBanner } from '../../src/components/HighDemandBanner.js';
import { escalation } from '../../src/core/escalation.js';
import { createClaudeClient } from '../../src/core/client.js';
import { advance, endpoint, renderInKit, reply, SendButton, settle, useKitTestEnvironment } from '../react/helpers.js';

// Escalation as an import, end to end: the provider gets escalation(), the banner reads the stage the summary carries
// and the feature's words the provider merged, under the app's own.
useKitTestEnvironment();


async function overloadedFor(ms: number): Promise<void> {
  fireEvent.click(screen.getByRole('button', { name: 'Send' }));
  await settle();
  await advance(ms);
  await settle();
}

describe('escalation() through the provider', () => {
  it('says "taking longer than usual" in the banner after 30 s, and tells the app once', async () => {
    endpoint((n) => reply('overloaded', `req_${n}`));
    const onEscalate = vi.fn();
    renderInKit(
      <>
        <HighDemandBanner />
        <SendButton />
      </>,
      { features: [escalation({ onEscalate })] },
    );
    await overloadedFor(30_000);
    const banner = screen.getByRole('region', { name: 'Claude status' });
    expect(banner.getAttribute('data-escalation')).toBe('slow');
    expect(screen.getByRole('status').textContent).toContain('This is taking longer than usual.');
    expect(onEscalate.mock.calls.map(([stage]) => stage)).toEqual(['slow']);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
  });

  it("says the app's own words for a stage over the feature's", async () => {
    endpoint(() => reply('overloaded'));
    renderInKit(
      <>
        <HighDemandBanner />
        <SendButton />
      </>,
      { features: [escalation()], messages: { escalationSlow: 'Still on it — thanks for waiting.' } },
    );
    await overloadedFor(30_000);
    expect(screen.getByRole('status').textContent).toContain('Still on it — thanks for waiting.');
    expect(screen.getByRole('status').textContent).not.toContain('longer than usual');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
  });

  it('says nothing of escalation without the feature, minutes into the wait', async () => {
    endpoint(() => reply('overloaded'));
    renderInKit(
      <>
        <HighDemandBanner />
        <SendButton />
      </>,
    );
    await overloadedFor(5 * 60_000);
    const banner = screen.getByRole('region', { name: 'Claude status' });
    expect(banner.getAttribute('data-escalation')).toBe('none');
    expect(banner.textContent).not.toMatch(/longer than usual|unusually long|let the team know/);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    await settle();
  });

  it('keeps the features a client was made with, for a provider given that client', () => {
    const features = [escalation()];
    const client = createClaudeClient({ features });
    expect(client.features).toBe(features);
    client.dispose();
  });
});
