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

export interface Tally {
  /** Answered with someone else's prompt. */
  wrong: string[];
  /** Never answered 200, even after the retries a client makes on a 529 or 503. */
  lost: string[];
  /** One upstream message delivered to more than one request. */
  double: string[];
  /** Answers per `x-claude-kit-store` value. */
  via: Record<string, number>;
}

export const emptyTally = (): Tally => ({ wrong: [], lost: [], double: [], via: {} });

/** A user gives up on an answer after this long: counted as lost. */
const GIVE_UP_MS = 15_000;

/**
 * Sends `prompt` as a browser using the kit would: a 529 or 503 is retried (here after a short pause, at most
 * `tries` times). Records in `tally` whether the answer, if any, was this prompt's and whether it was seen before.
 */
export async function askAsAClient(
  handler: (request: Request) => Promise<Response>, prompt: string, tally: Tally, seen: Set<string>, tries = 4,
): Promise<void> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), GIVE_UP_MS);
  const gaveUp = new Promise<undefined>((resolve) => controller.signal.addEventListener('abort', () => resolve(undefined)));
  try {
    await askUntil(handler, prompt, tally, seen, tries, controller.signal, gaveUp);
  } finally {
    clearTimeout(timer);
  }
}

async function askUntil(
  handler: (request: Request) => Promise<Response>, prompt: string, tally: Tally, seen: Set<string>, tries: number,
  signal: AbortSignal, gaveUp: Promise<undefined>,
): Promise<void> {
  for (let attempt = 1; attempt <= tries && !signal.aborted; attempt++) {
    const response = await Promise.race([handler(new Request(ask(prompt), { signal })), gaveUp]);
    if (response === undefined) break;
    if (response.status === 529 || response.status === 503) {
      await response.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const via = response.headers.get('x-claude-kit-store') ?? 'none';
    const body = (await response.json().catch(() => ({}))) as { id?: string; content?: Array<{ text?: string }> };
    if (response.status !== 200) break;
    tally.via[via] = (tally.via[via] ?? 0) + 1;
    if (body.content?.[0]?.text !== `answer to: ${prompt}`) tally.wrong.push(`${prompt} <- ${body.content?.[0]?.text}`);
    if (body.id !== undefined && seen.has(body.id)) tally.double.push(prompt);
    if (body.id !== undefined) seen.add(body.id);
    return;
  }
  tally.lost.push(prompt);
}
