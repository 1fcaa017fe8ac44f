/**
 * Reading and checking a Messages request from the browser before it costs anything upstream: JSON only, a size
 * limit, the messages shape, the model allowlist and the max_tokens cap. Failures carry Anthropic's wording style
 * ("messages.0.role: …") so they read like Claude's own 400s.
 */
import { z } from 'zod';

export interface ValidationOptions {
  maxBodyBytes: number;
  models?: readonly string[];
  defaultModel?: string;
  defaultMaxTokens: number;
  maxTokensCap?: number;
  maxTokensOverCap: 'reject' | 'clamp';
}

export type MessagesParams = z.infer<typeof MessagesBody> & { model: string; max_tokens: number };

export type ValidationResult =
  | { ok: true; params: MessagesParams }
  | { ok: false; status: 400 | 413; type: 'invalid_request_error' | 'request_too_large'; message: string };

// Blocks are checked for a type only: their many kinds (text, image, document, tool_use, tool_result…) are
// Anthropic's to validate, and it answers a bad one with a 400 the handler relays as is.
const Block = z.looseObject({ type: z.string().min(1) });

const Message = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(Block).min(1)]),
});

// Strict, like Anthropic ("Extra inputs are not permitted"): a browser may only send the fields listed here.
const MessagesBody = z.strictObject({
  model: z.string().min(1).optional(),
  messages: z.array(Message).min(1, 'at least one message is required'),
  max_tokens: z.number().int().positive().optional(),
  system: z.union([z.string(), z.array(Block)]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stop_sequences: z.array(z.string()).optional(),
  metadata: z.looseObject({ user_id: z.string().max(256).nullable().optional() }).optional(),
  tools: z.array(z.looseObject({})).optional(),
  tool_choice: Block.optional(),
  thinking: Block.optional(),
  service_tier: z.enum(['auto', 'standard_only']).optional(),
});

const bad = (message: string): ValidationResult => ({ ok: false, status: 400, type: 'invalid_request_error', message });
const tooLarge = (limit: number): ValidationResult => ({
  ok: false,
  status: 413,
  type: 'request_too_large',
  message: `Request exceeds the maximum allowed number of bytes (${limit}).`,
});

function isJsonMediaType(contentType: string | null): boolean {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

/** The body as text, or null once it passes the limit (then stops reading: a huge body costs no more memory). */
async function readLimited(request: Request, limit: number): Promise<string | null> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) return null;
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const path = issue.path.join('.');
      const message = issue.code === 'unrecognized_keys' ? `${issue.keys.join(', ')}: Extra inputs are not permitted` : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

export async function validateMessagesRequest(request: Request, options: ValidationOptions): Promise<ValidationResult> {
  const contentType = request.headers.get('content-type');
  if (!isJsonMediaType(contentType)) {
    return bad(`Content-Type must be application/json${contentType ? ` (got ${contentType})` : ''}.`);
  }
  const text = await readLimited(request, options.maxBodyBytes);
  if (text === null) return tooLarge(options.maxBodyBytes);
  if (!text.trim()) return bad('The request body is empty; send a JSON object with "messages".');
  if (text.trimStart().startsWith('<')) return bad('The request body is HTML, not JSON; send a JSON object with "messages".');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return bad(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('The request body must be a JSON object.');

  const parsed = MessagesBody.safeParse(json, {
    error: (issue) => (issue.code === 'invalid_type' && issue.input === undefined ? 'Field required' : undefined),
  });
  if (!parsed.success) return bad(describeIssues(parsed.error));
  const body = parsed.data;

  const model = body.model ?? options.defaultModel ?? options.models?.[0];
  if (!model) return bad('model: Field required');
  if (options.models && !options.models.includes(model)) {
    return bad(`model: ${model} is not allowed here; use one of: ${options.models.join(', ')}.`);
  }
  const cap = options.maxTokensCap ?? Infinity;
  let maxTokens = body.max_tokens ?? Math.min(options.defaultMaxTokens, cap);
  if (maxTokens > cap) {
    if (options.maxTokensOverCap === 'reject') return bad(`max_tokens: ${maxTokens} is above this server's limit of ${cap}.`);
    maxTokens = cap;
  }
  return { ok: true, params: { ...body, model, max_tokens: maxTokens } };
}
