/**
 * Reading a Messages (or count_tokens) request from the browser and applying the app's policy before it costs
 * anything upstream: JSON only, a size limit and a deadline for the upload, a nesting limit, the model allowlist, the
 * max_tokens cap, and opt-ins for what makes Claude act beyond the app's intent. Everything else is Anthropic's to
 * validate: its 400s are relayed as they are, so the handler never refuses a documented request Anthropic accepts.
 */
import type { Clock } from '../core/clock.js';
import { CLIENT_TOOLS, HARMLESS_SERVER_TOOLS, HEADER_PARAMS, OPT_IN_FIELDS, PASSING_FIELDS, toolFamily } from './fields.js';
import { jsonDepthExceeds } from './json-depth.js';
import { readBody } from './read-body.js';
import type { Route } from './routes.js';
import { SetupProblem } from './setup.js';

export interface ValidationOptions {
  maxBodyBytes: number;
  bodyTimeoutMs: number;
  maxJsonDepth: number;
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  models?: readonly string[];
  defaultModel?: string;
  defaultMaxTokens: number;
  maxTokensCap?: number;
  maxTokensOverCap: 'reject' | 'clamp';
  allowServerTools: readonly string[] | boolean;
  allowMcpServers: boolean;
  allowContainer: boolean;
  allowFields: readonly string[];
}

/** The request body as JSON: what the handler reads of it is typed, the rest is passed on untouched. */
export interface MessagesParams extends Record<string, unknown> {
  model: string;
  max_tokens?: number;
  stream?: boolean;
}

export type ValidationResult =
  /** `body`: the bytes to forward, the browser's own unless the handler filled in or clamped something. */
  | { ok: true; params: MessagesParams; body: string }
  | { ok: false; status: 400 | 408 | 413; type: string; message: string }
  /** The app's server, not the client, is at fault (its body parser read the body first). */
  | { ok: false; setup: SetupProblem };

const bad = (message: string): ValidationResult => ({ ok: false, status: 400, type: 'invalid_request_error', message });

function isJsonMediaType(contentType: string | null): boolean {
  // What every client sends, told at once; anything else is split and lowered.
  if (contentType === 'application/json') return true;
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}

const KNOWN = new Set<string>([...PASSING_FIELDS, ...HEADER_PARAMS]);
const OPT_INS = Object.entries(OPT_IN_FIELDS);

/** The first field or tool the app's policy does not allow, as a 400 message naming the option that would. */
function policyRefusal(body: Record<string, unknown>, options: ValidationOptions): string | undefined {
  for (const [field, option] of OPT_INS) {
    const allowed = field === 'mcp_servers' ? options.allowMcpServers : options.allowContainer;
    if (body[field] !== undefined && body[field] !== null && !allowed) {
      return `${field}: this server does not forward ${field}; the app can allow it with the handler option \`${option}: true\`.`;
    }
  }
  for (const field of Object.keys(body)) {
    if (!KNOWN.has(field) && !Object.hasOwn(OPT_IN_FIELDS, field) && !options.allowFields.includes(field)) {
      return `${field}: this server does not forward fields it does not know; the app can allow it with the handler option \`allowFields: ['${field}']\`.`;
    }
  }
  if (body.fallbacks !== undefined && body.fallbacks !== null && options.models && !options.allowFields.includes('fallbacks')) {
    return "fallbacks: fallback models could run a model outside this server's allowed list; the app can allow it with the handler option `allowFields: ['fallbacks']`.";
  }
  if (body.tools === undefined || body.tools === null) return undefined;
  if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
  for (const [index, tool] of body.tools.entries()) {
    if (typeof tool !== 'object' || tool === null) return `tools.${index}: Input should be a valid dictionary`;
    const family = toolFamily((tool as { type?: unknown }).type);
    if ((CLIENT_TOOLS as readonly string[]).includes(family) || (HARMLESS_SERVER_TOOLS as readonly string[]).includes(family)) continue;
    const allow = options.allowServerTools;
    if (allow === true || (Array.isArray(allow) && allow.includes(family))) continue;
    return `tools.${index}.type: ${String((tool as { type?: unknown }).type)} is a server tool this server does not run; the app can allow it with the handler option \`allowServerTools: ['${family}']\`.`;
  }
  return undefined;
}

/**
 * The request says it carries a body and the handler gets none: something on the app's server read it first. In
 * Express that is a body parser (`express.json()`) mounted before the handler; the client did nothing wrong.
 */
const bodyWasSent = (request: Request) =>
  Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.has('transfer-encoding');

const BODY_READ_FIRST = new SetupProblem(
  'its request body was read before the handler',
  'The request carried a body and the handler got none: a body parser mounted before the handler read it ' +
    "(in Express, express.json() or express.text() on the handler's path). Mount the handler first: " +
    "app.use('/api/claude', getRequestListener(handler)) before app.use(express.json()).",
);

export async function validateMessagesRequest(request: Request, route: Route, options: ValidationOptions): Promise<ValidationResult> {
  const contentType = request.headers.get('content-type');
  if (!isJsonMediaType(contentType)) {
    return bad(`Content-Type must be application/json${contentType ? ` (got ${contentType})` : ''}.`);
  }
  const tooLarge: ValidationResult = {
    ok: false,
    status: 413,
    type: 'request_too_large',
    message: `Request exceeds the maximum allowed number of bytes (${options.maxBodyBytes}).`,
  };
  const announced = Number(request.headers.get('content-length') ?? NaN);
  if (announced > options.maxBodyBytes) return tooLarge;
  const read = await readBody(request.body, {
    limit: options.maxBodyBytes, timeoutMs: options.bodyTimeoutMs, clock: options.clock, expectedBytes: announced || undefined,
  });
  if (!read.ok) {
    if (read.reason === 'too_large') return tooLarge;
    if (read.reason === 'timeout') {
      return { ok: false, status: 408, type: 'timeout_error', message: `The request body did not arrive within ${options.bodyTimeoutMs} ms.` };
    }
    return bad('The request body could not be read (the upload broke off).');
  }
  const text = read.text;
  if (!text && bodyWasSent(request)) return { ok: false, setup: BODY_READ_FIRST };
  if (!text.trim()) return bad('The request body is empty; send a JSON object with "messages".');
  if (text.trimStart().startsWith('<')) return bad('The request body is HTML, not JSON; send a JSON object with "messages".');
  if (jsonDepthExceeds(text, options.maxJsonDepth)) return bad(`The request body nests deeper than ${options.maxJsonDepth} levels.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return bad(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('The request body must be a JSON object.');
  const body = json as Record<string, unknown>;

  const refusal = policyRefusal(body, options);
  if (refusal) return bad(refusal);
  if (body.model !== undefined && (typeof body.model !== 'string' || body.model === '')) return bad('model: Input should be a valid string');
  const model = (body.model as string | undefined) ?? options.defaultModel ?? options.models?.[0];
  if (!model) return bad('model: Field required');
  if (options.models && !options.models.includes(model)) {
    return bad(`model: ${model} is not allowed here; use one of: ${options.models.join(', ')}.`);
  }
  let changed = model !== body.model;
  // The parsed body is the handler's own: filled in place rather than copied.
  const params = body as MessagesParams;
  params.model = model;
  if (route === 'messages') {
    if (body.stream !== undefined && typeof body.stream !== 'boolean') return bad('stream: Input should be a valid boolean');
    const asked = body.max_tokens;
    if (asked !== undefined && (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 0)) {
      return bad('max_tokens: Input should be a non-negative integer');
    }
    const cap = options.maxTokensCap ?? Infinity;
    let maxTokens = asked ?? Math.min(options.defaultMaxTokens, cap);
    if (maxTokens > cap) {
      if (options.maxTokensOverCap === 'reject') return bad(`max_tokens: ${maxTokens} is above this server's limit of ${cap}.`);
      maxTokens = cap;
    }
    changed ||= maxTokens !== asked;
    params.max_tokens = maxTokens;
  }
  return { ok: true, params, body: changed ? JSON.stringify(params) : text };
}
