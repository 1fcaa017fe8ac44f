import { describe, expect, it } from 'vitest';
import { createTransport } from '../../src/core/transport.js';

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
const start = event('message_start', {
  type: 'message_start',
  message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, usage: { input_tokens: 20, output_tokens: 1 } },
});
const end = (reason: string) => event('message_delta', { type: 'message_delta', delta: { stop_reason: reason }, usage: { output_tokens: 30 } })
  + event('message_stop', { type: 'message_stop' });
const delta = (index: number, d: Record<string, unknown>) => event('content_block_delta', { type: 'content_block_delta', index, delta: d });
const streamOf = (text: string) =>
  createTransport({ fetch: async () => new Response(text, { headers: { 'content-type': 'text/event-stream' } }) })
    .stream({ messages: [{ role: 'user', content: 'hi' }] });

describe('a streamed answer with more than text', () => {
  it('gives a tool call its input, streamed as partial JSON', async () => {
    const message = await streamOf(start
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      + delta(0, { type: 'text_delta', text: 'Let me check.' })
      + event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + event('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } })
      + delta(1, { type: 'input_json_delta', partial_json: '' })
      + delta(1, { type: 'input_json_delta', partial_json: '{"city": "Par' })
      + delta(1, { type: 'input_json_delta', partial_json: 'is", "unit": "c"}' })
      + event('content_block_stop', { type: 'content_block_stop', index: 1 })
      + end('tool_use'));
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris', unit: 'c' } },
    ]);
  });

  it('keeps a thinking block’s text and signature, which the next turn must send back', async () => {
    const message = await streamOf(start
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } })
      + delta(0, { type: 'thinking_delta', thinking: 'The user greets me; ' })
      + delta(0, { type: 'thinking_delta', thinking: 'answer briefly.' })
      + delta(0, { type: 'signature_delta', signature: 'EqQBCkYIBRgCIkCsig' })
      + event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + event('content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } })
      + delta(1, { type: 'text_delta', text: 'Hello!' })
      + event('content_block_stop', { type: 'content_block_stop', index: 1 })
      + end('end_turn'));
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'The user greets me; answer briefly.', signature: 'EqQBCkYIBRgCIkCsig' },
      { type: 'text', text: 'Hello!' },
    ]);
  });
});

describe('a streamed tool call without input', () => {
  it('keeps its input empty and adds no field the API would refuse on the next turn', async () => {
    const message = await streamOf(start
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'now', input: {} } })
      + delta(0, { type: 'input_json_delta', partial_json: '' })
      + event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + end('tool_use'));
    expect(message.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'now', input: {} }]);
  });
});

describe('a streamed answer stopped by a stop sequence', () => {
  it('says which stop sequence ended it, as the same answer unstreamed does', async () => {
    const message = await streamOf(start
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      + delta(0, { type: 'text_delta', text: 'One, two' })
      + event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + event('message_delta', { type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'three' }, usage: { output_tokens: 3 } })
      + event('message_stop', { type: 'message_stop' }));
    expect(message).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'three' });
  });
});

describe('a streamed answer that cites its sources', () => {
  it('keeps the citations of its text, as the same answer unstreamed has them', async () => {
    const citation = { type: 'web_search_result_location', url: 'https://example.com/', title: 'Example', cited_text: 'Paris is the capital.', encrypted_index: 'Eo8B' };
    const message = await streamOf(start
      + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      + delta(0, { type: 'citations_delta', citation })
      + delta(0, { type: 'text_delta', text: 'Paris.' })
      + event('content_block_stop', { type: 'content_block_stop', index: 0 })
      + end('end_turn'));
    expect(message.content).toEqual([{ type: 'text', text: 'Paris.', citations: [citation] }]);
  });
});
