// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { defaultMessages } from '../../src/core/messages.js';
import { answeredByText, fallbackOffers, offerFallbackText } from '../../src/core/offers.js';
import { modelFallback } from '../../src/features/fallback.js';
import { useClaudeDemand } from '../../src/react/useClaudeDemand.js';
import { useClaudeMutation } from '../../src/react/useClaudeMutation.js';
import { useClaudeStream } from '../../src/react/useClaudeStream.js';
import { advance, answer, ask, endpoint, renderKit, reply, settle, useKitTestEnvironment } from './helpers.js';

useKitTestEnvironment();

const CHAIN = { models: ['claude-sonnet-4-5', 'claude-haiku-4-5'], afterMs: 15_000 };

/** The app's endpoint with Sonnet overloaded and Haiku answering. */
const sonnetOverloaded = () => endpoint((_n, _request, body) => (body.model === 'claude-haiku-4-5' ? answer('From Haiku.') : reply('overloaded')));

describe('fallback chains in the hooks', () => {
  it('answers from the fallback model after afterMs, and the retry state says which model answered', async () => {
    const api = sonnetOverloaded();
    const { result } = renderKit(() => useClaudeMutation(), { fallback: modelFallback(CHAIN) });
    result.current.mutate(ask('hi'));
    await settle();
    await advance(15_000);
    await settle();
    expect(api.calls.at(-1)!.body.model).toBe('claude-haiku-4-5');
    expect(result.current.data?.content[0]?.text).toBe('From Haiku.');
    expect(result.current.retry).toMatchObject({ phase: 'succeeded', model: 'claude-haiku-4-5', fallbackFrom: 'claude-sonnet-4-5' });
    expect(answeredByText(defaultMessages, result.current.retry.model!)).toBe('Answered by Claude Haiku 4.5');
  });

  it('in offer mode, puts the offer in the demand summary and answers from the fallback once the person accepts', async () => {
    const api = sonnetOverloaded();
    const { result } = renderKit(() => ({ stream: useClaudeStream(), demand: useClaudeDemand() }), { fallback: modelFallback({ ...CHAIN, mode: 'offer' }), features: [fallbackOffers()] });
    result.current.stream.send(ask('hi'));
    await settle();
    await advance(15_000);
    await settle();
    expect(api.calls.every((c) => c.body.model === 'claude-sonnet-4-5')).toBe(true);
    expect(result.current.demand.offer).toMatchObject({ model: 'claude-haiku-4-5', from: 'claude-sonnet-4-5' });
    expect(offerFallbackText(defaultMessages, result.current.demand.offer!)).toBe('Answer with Claude Haiku 4.5 now — faster, less thorough');
    expect(result.current.demand.offer).toMatchObject(result.current.stream.retry.offer!);

    result.current.demand.offer!.accept!();
    await settle();
    expect(api.calls.at(-1)!.body.model).toBe('claude-haiku-4-5');
    expect(result.current.stream.retry.model).toBe('claude-haiku-4-5');
    expect(result.current.demand.offer).toBeUndefined();
  });

  it('lets one hook call opt out of the provider’s chain', async () => {
    const api = sonnetOverloaded();
    const { result } = renderKit(() => useClaudeMutation({ fallback: false }), { fallback: modelFallback({ ...CHAIN, afterMs: 0 }) });
    result.current.mutate(ask('hi'));
    await settle();
    await advance(30_000);
    await settle();
    expect(api.calls.every((c) => c.body.model === 'claude-sonnet-4-5')).toBe(true);
    result.current.retry.cancel();
    await settle();
  });
});
