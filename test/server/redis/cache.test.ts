import { describe, expect, it } from 'vitest';
import { createOverloadSimulator } from '../../../src/testing/index.js';
import { MODEL } from '../../testing/helpers.js';
import { API_KEY, post } from '../helpers.js';
import { createFleet, useRedisTestbed } from './fleet.js';
import type { Instance } from './fleet.js';

const testbed = useRedisTestbed();

const prompt = { messages: [{ role: 'user', content: 'Summarise the moon landing' }] };

describe('the shared answer cache on Redis', () => {
  it('answers a repeat from another instance without calling Claude, whatever the key order', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, cache: { ttlMs: 5_000 } });
    const [a, b] = fleet as [Instance, Instance];
    const first = await a.handler(post(prompt));
    expect(first.status).toBe(200);
    const reordered = new Request('http://app.test/api/claude', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...prompt, max_tokens: 64, model: MODEL }),
    });
    const second = await b.handler(reordered);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-claude-kit-cache')).toBe('hit');
    expect(await second.json()).toEqual(await first.json());
    expect(simulator.stats().requests).toBe(1);
  });

  it('never caches an error: the repeat goes to Claude and gets the answer', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY, script: ['500', '529'] });
    // Claude's 529 passed on (holdMs 0), not held in the fleet's line: it is the error that must not be cached.
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, cache: { ttlMs: 5_000 }, minClosedMs: 50, maxClosedMs: 50, holdMs: 0 });
    const [a, b] = fleet as [Instance, Instance];
    expect((await a.handler(post(prompt))).status).toBe(500);
    expect((await b.handler(post(prompt))).status).toBe(529);
    const third = await a.handler(post(prompt));
    expect(third.status).toBe(200);
    expect(third.headers.get('x-claude-kit-cache')).toBeNull();
    expect(simulator.stats().requests).toBe(3);
  });

  it('never caches a stream, and keeps different prompts apart', async () => {
    const simulator = createOverloadSimulator({ apiKey: API_KEY });
    const fleet = await createFleet(testbed.redis.url, simulator, { instances: 2, cache: { ttlMs: 5_000 } });
    const [a, b] = fleet as [Instance, Instance];
    await (await a.handler(post({ ...prompt, stream: true }))).text();
    await (await b.handler(post({ ...prompt, stream: true }))).text();
    await a.handler(post({ messages: [{ role: 'user', content: 'One' }] }));
    const other = await b.handler(post({ messages: [{ role: 'user', content: 'Two' }] }));
    expect(other.headers.get('x-claude-kit-cache')).toBeNull();
    expect(simulator.stats().requests).toBe(4);
  });
});
