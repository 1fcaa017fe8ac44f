import { describe, expect, it } from 'vitest';
import { defaultMessages, formatWait, headlineFor, mergeMessages, plural } from '../../src/core/messages.js';
import { frenchMessages } from '../../src/core/messages-fr.js';
import { escalationMessages } from '../../src/core/escalation.js';
import { statusMessages } from '../../src/core/incident-watch.js';
import { offerMessages } from '../../src/core/offers.js';

describe('messages', () => {
  it('formats the design headline', () => {
    expect(`${defaultMessages.busy} ${defaultMessages.retryingIn(8, 'en')}`).toBe(
      'Claude is busy right now. Retrying in 8 s…',
    );
    expect(defaultMessages.retryingIn(20, 'en')).toBe('Retrying in 20 s…');
  });

  it('switches to minutes for long waits', () => {
    expect(formatWait(600, 'en')).toBe('10 min');
  });

  it('picks plural forms through Intl.PluralRules', () => {
    const waiting = { one: '# request waiting', other: '# requests waiting' };
    expect(plural('en', 1, waiting)).toBe('1 request waiting');
    expect(plural('en', 3, waiting)).toBe('3 requests waiting');
    // French treats 0 and 1 as singular.
    expect(plural('fr', 0, { one: '# demande en attente', other: '# demandes en attente' })).toBe('0 demande en attente');
    expect(plural('en', 1200, { one: '# thing', other: '# things' })).toBe('1,200 things');
  });

  it('merges overrides key by key', () => {
    const merged = mergeMessages(mergeMessages(defaultMessages, statusMessages), { busy: 'Busy.', incidentStatus: { monitoring: 'Watching' } });
    expect(merged.busy).toBe('Busy.');
    expect(merged.retryNow).toBe('Retry now');
    expect(merged.incidentStatus?.monitoring).toBe('Watching');
    expect(merged.incidentStatus?.investigating).toBe('Investigating');
  });

  it('has no headline while normal', () => {
    expect(headlineFor(defaultMessages, { level: 'normal' })).toBeUndefined();
  });

  it('translates every key, the features\' words included', () => {
    const english = { ...defaultMessages, ...escalationMessages, ...statusMessages, ...offerMessages };
    expect(Object.keys(frenchMessages).sort()).toEqual(Object.keys(english).sort());
  });
});
