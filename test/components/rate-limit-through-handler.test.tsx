// @vitest-environment jsdom
// One clock, "errors keep their meaning", seen by the person: Claude's 429 goes through the kit's handler at once
// as a 429 with Claude's retry-after, and the banner says "Too many requests." — not "busy", not "in line".
import { render, screen } from '@testing-library/react';
import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { HighDemandBanner } from '../../src/components/HighDemandBanner.js';
import { defaultMessages } from '../../src/core/messages.js';
import { ClaudeProvider } from '../../src/react/context.js';
import { createClaudeHandler } from '../../src/server/index.js';
import { advance, endpoint, ENDPOINT, fixture, SendButton, settle, testClock, useKitTestEnvironment } from '../react/helpers.js';

useKitTestEnvironment();


const rateLimited = fixture('rate_limited');
const overloaded = fixture('overloaded');

function throughHandler(upstream: typeof rateLimited) {
  let claudeCalls = 0;
  const handler = createClaudeHandler({
    // Not a key: the handler only forwards it to the test's own upstream.
    apiKey: 'not-a-real-key',
    baseURL: 'http://claude.test',
    fetch: async () => {
      claudeCalls += 1;
      return Response.json(upstream.body, { status: upstream.status, headers: upstream.headers });
    },
  });
  const app = endpoint((_n, request) => handler(request));
  return { app, claudeCalls: () => claudeCalls };
}

// The test's endpoint is an absolute URL, where the transport leaves the ticket off unless told (a cross-origin
// request would be preflighted); an app's own `/api/claude` sends it by default.
function renderChat() {
  render(
    <ClaudeProvider endpoint={ENDPOINT} lineTicket clock={testClock} queryClient={new QueryClient()}>
      <HighDemandBanner />
      <SendButton />
    </ClaudeProvider>,
  );
  screen.getByRole('button', { name: 'Send' }).click();
}

describe("Claude's 429 through the handler, in the banner", () => {
  it('says rate limited at once, not busy or in line', async () => {
    const { app } = throughHandler(rateLimited);
    renderChat();
    await settle();
    await advance(100);
    expect(app.count).toBe(1);
    const banner = screen.getByRole('status');
    expect(banner.textContent).toContain(defaultMessages.rateLimited);
    expect(banner.textContent).not.toContain(defaultMessages.busy);
    expect(banner.textContent).not.toContain(defaultMessages.inLine);
  });

  it("while Claude's 529 through the same handler reads as busy (the two are told apart)", async () => {
    const { app } = throughHandler(overloaded);
    renderChat();
    // The handler holds a 529 in its line and tells the kit's transport its place within about a second.
    for (let i = 0; i < 15; i++) await advance(100);
    expect(app.count).toBeGreaterThanOrEqual(1);
    const banner = screen.getByRole('status');
    expect(banner.textContent).not.toContain(defaultMessages.rateLimited);
    expect(banner.textContent).toMatch(/busy/i);
  });
});
