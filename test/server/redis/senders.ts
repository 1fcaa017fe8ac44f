// Requests that name their sender, and an upstream whose answer repeats the prompt: whoever receives an answer can
// tell whether it was theirs. Used by the fault tests to count wrong, lost and double answers.
import { createOverloadSimulator } from '../../../src/testing/index.js';
import type { OverloadSimulator, OverloadSimulatorOptions } from '../../../src/testing/index.js';
import { API_KEY, post } from '../helpers.js';

export interface EchoUpstream {
  simulator: OverloadSimulator;
  /** How many times each prompt reached Claude. */
  calls: Map<string, number>;
}

/** The simulator (limits, timing, counts) with its answer's text replaced by `answer to: <prompt>`. */
export function echoUpstream(options: OverloadSimulatorOptions = {}): EchoUpstream {
  const simulator = createOverloadSimulator({ apiKey: API_KEY, ...options });
  const calls = new Map<string, number>();
  const upstream = simulator.fetch;
  simulator.fetch = async (input, init) => {
    const request = new Request(input, init);
    const prompt = promptOf(await request.clone().json());
    calls.set(prompt, (calls.get(prompt) ?? 0) + 1);
    const response = await upstream(request);
    if (response.status !== 200) return response;
    const message = (await response.json()) as Record<string, unknown>;
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(JSON.stringify({ ...message, content: [{ type: 'text', text: `answer to: ${prompt}` }] }), { status: 200, headers });
  };
  return { simulator, calls };
}

function promptOf(body: unknown): string {
  const messages = (body as { messages?: Array<{ content?: unknown }> }).messages;
  return typeof messages?.[0]?.content === 'string' ? messages[0].content : '';
}

export const ask = (prompt: string) => post({ messages: [{ role: 'user', content: prompt }] });

/** The text of a 200 answer, or undefined for anything else (a 529 to retry, an error). */
export async function answerText(response: Response): Promise<string | undefined> {
  if (response.status !== 200) return undefined;
  const body = (await response.json()) as { content?: Array<{ text?: string }> };
  return body.content?.[0]?.text;
}
