// @vitest-environment jsdom
import { HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { headlineFor } from '../../src/core/messages.js';
import { useClaudeMessages } from '../../src/react/context.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { endpoint, renderKit, settle, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();

const useApp = () => ({ stream: useClaudeStream(), demand: useClaudeDemand(), messages: useClaudeMessages() });

describe('a setup mistake on the app’s server', () => {
  it('fails once, is not blamed on Claude, and tells the person the app’s server is not set up', async () => {
    const api = endpoint(() =>
      HttpResponse.json(
        { type: 'error', error: { type: 'api_error', message: 'ANTHROPIC_API_KEY is not set' }, request_id: 'req_kit_1' },
        { status: 500, headers: { 'x-should-retry': 'false', 'x-claude-kit-error': 'not_configured' } },
      ));
    const { result } = renderKit(useApp);
    result.current.stream.send('hi');
    await settle();
    expect(api.count).toBe(1);
    expect(result.current.stream).toMatchObject({ status: 'error', error: { kind: 'not_configured', retryable: false } });
    expect(result.current.demand).toMatchObject({ level: 'unavailable', lastFailureKind: 'not_configured' });
    expect(headlineFor(result.current.messages, result.current.demand)).toBe(
      "This app can't reach Claude right now — its server isn't set up.",
    );
    await settle();
    expect(api.count).toBe(1);
  });
});
