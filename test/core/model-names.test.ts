import { describe, expect, it } from 'vitest';
import { defaultMessages, mergeMessages } from '../../src/core/messages.js';
import { answeredByText, modelDisplayName, offerFallbackText } from '../../src/core/offers.js';
import { frenchMessages } from '../../src/core/messages-fr.js';

describe('model names and the fallback copy', () => {
  it('reads Claude model ids as people say them', () => {
    expect(modelDisplayName('claude-haiku-4-5')).toBe('Claude Haiku 4.5');
    expect(modelDisplayName('claude-3-5-haiku-20241022')).toBe('Claude 3.5 Haiku');
    expect(modelDisplayName('claude-opus-4-1-20250805')).toBe('Claude Opus 4.1');
    expect(modelDisplayName('claude-sonnet-4-5-latest')).toBe('Claude Sonnet 4.5');
    expect(modelDisplayName('my-fine-model')).toBe('my-fine-model');
  });

  it('says what changes on the offer’s button, and who answered', () => {
    expect(offerFallbackText(defaultMessages, { model: 'claude-haiku-4-5' })).toBe('Answer with Claude Haiku 4.5 now — faster, less thorough');
    expect(answeredByText(defaultMessages, 'claude-haiku-4-5')).toBe('Answered by Claude Haiku 4.5');
    expect(offerFallbackText(frenchMessages, { model: 'claude-haiku-4-5' })).toBe('Répondre avec Claude Haiku 4.5 maintenant — plus rapide, moins approfondi');
  });

  it('lets an app name its models its own way', () => {
    const messages = mergeMessages(defaultMessages, { modelName: (model) => (model === 'fast' ? 'Quick mode' : model) });
    expect(offerFallbackText(messages, { model: 'fast' })).toBe('Answer with Quick mode now — faster, less thorough');
  });
});
