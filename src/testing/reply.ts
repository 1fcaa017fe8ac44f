/**
 * The simulator's answer: a deterministic canned reply that quotes the prompt, so a person in the playground (or a
 * test) can tell which request an answer belongs to, and the non-streaming Message body around it.
 */

export interface SimulatedRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  prompt: string;
}

export interface Reply {
  /** The answer in the pieces a stream sends as text deltas; joined, they are the whole text. */
  chunks: string[];
  text: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: 'end_turn' | 'max_tokens';
}

const PROMPT_QUOTE_CHARS = 60;
const WORDS_PER_CHUNK = 3;

/** The text of the last user message, whether its content is a string or blocks. */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content
        .map((block: { type?: unknown; text?: unknown } | null) => (block?.type === 'text' && typeof block.text === 'string' ? block.text : ''))
        .join(' ');
    }
  }
  return '';
}

export function cannedReply(request: SimulatedRequest): Reply {
  const prompt = request.prompt.replace(/\s+/g, ' ').trim();
  const quote = prompt.length > PROMPT_QUOTE_CHARS ? `${prompt.slice(0, PROMPT_QUOTE_CHARS - 1)}…` : prompt;
  const full = quote
    ? `You said: "${quote}". This is a simulated answer from the overload simulator, sent one piece at a time.`
    : 'This is a simulated answer from the overload simulator, sent one piece at a time.';
  // One "token" per word keeps max_tokens meaningful without a tokenizer.
  const words = full.split(' ');
  const kept = words.slice(0, Math.max(1, request.maxTokens));
  const chunks: string[] = [];
  for (let i = 0; i < kept.length; i += WORDS_PER_CHUNK) {
    const piece = kept.slice(i, i + WORDS_PER_CHUNK).join(' ');
    chunks.push(i === 0 ? piece : ` ${piece}`);
  }
  return {
    chunks,
    text: chunks.join(''),
    inputTokens: Math.max(1, Math.ceil(prompt.length / 4)),
    outputTokens: kept.length,
    stopReason: kept.length < words.length ? 'max_tokens' : 'end_turn',
  };
}

/** A Messages API `Message`, shaped like the fixture's success body. */
export function messageBody(id: string, request: SimulatedRequest, reply: Reply): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [{ type: 'text', text: reply.text }],
    stop_reason: reply.stopReason,
    stop_sequence: null,
    usage: { input_tokens: reply.inputTokens, output_tokens: reply.outputTokens },
  };
}
