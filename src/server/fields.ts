/**
 * What the handler knows about a Messages request: every field of `MessageCreateParams` (and of the beta and
 * count_tokens variants), and every kind of tool. A type-level test compares these lists with the Anthropic SDK's
 * types, so a field Anthropic adds fails the kit's tests instead of being refused (or let through) unnoticed.
 */

/**
 * Body fields that pass by default: they shape the answer, not what Claude may do or reach. (`temperature`,
 * `top_p` and `top_k` are gone from the newest SDK types but older models still take them.)
 */
export const PASSING_FIELDS = [
  'model', 'messages', 'max_tokens', 'system', 'stream', 'temperature', 'top_p', 'top_k', 'stop_sequences',
  'metadata', 'tools', 'tool_choice', 'thinking', 'service_tier', 'output_config', 'output_format', 'cache_control',
  'inference_geo', 'speed', 'context_management', 'compaction', 'diagnostics', 'thread', 'billing_policy',
  'fallback_credit_token', 'fallbacks',
] as const;

/**
 * Body fields that let Claude act beyond the app's intent and spend more (connect to MCP servers, run code in a
 * container the request chooses): refused unless the app opts in with the named handler option.
 */
export const OPT_IN_FIELDS = { mcp_servers: 'allowMcpServers', container: 'allowContainer' } as const;

/** Fields the SDK types list but sends as headers (`anthropic-beta`, …), never in the body. Anthropic refuses them there. */
export const HEADER_PARAMS = ['betas', 'user_profile_id', 'workspace_id'] as const;

/** Every field the handler knows; the type-level test checks the SDK's request types against it. */
export type KnownField =
  | (typeof PASSING_FIELDS)[number]
  | keyof typeof OPT_IN_FIELDS
  | (typeof HEADER_PARAMS)[number];

/** Tools that only describe something the app's own code runs when Claude asks (the app decides). */
export const CLIENT_TOOLS = ['custom', 'bash', 'text_editor', 'computer', 'computer_toolset', 'browser_toolset', 'memory'] as const;

/** Server tools that run on Anthropic's side but neither reach out nor spend beyond the request (tool search). */
export const HARMLESS_SERVER_TOOLS = ['tool_search_tool_bm25', 'tool_search_tool_regex'] as const;

/**
 * Server tools that fetch the web, run code (code execution brings its bash and text-editor variants,
 * `bash_code_execution` and `text_editor_code_execution`), consult another model, or call MCP servers: each
 * costs money or reaches out, so each must be listed in `allowServerTools`.
 */
export const OPT_IN_SERVER_TOOLS = ['web_search', 'web_fetch', 'code_execution', 'advisor', 'mcp_toolset'] as const;

export type ServerToolName = (typeof OPT_IN_SERVER_TOOLS)[number];

/** A tool's family: its `type` without the version date (`web_search_20250305` → `web_search`); no type is custom. */
export function toolFamily(type: unknown): string {
  if (type === undefined || type === null) return 'custom';
  return String(type).replace(/_\d{8}$/, '');
}
