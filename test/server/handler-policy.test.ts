// The app's policy: what passes by default (every documented field), what needs an opt-in (and the 400 naming it),
// and the app's own authorize and check hooks.
import { describe, expect, it } from 'vitest';
import { createClaudeHandler, errorResponse } from '../../src/server/index.js';
import type { ClaudeHandlerOptions } from '../../src/server/index.js';
import { API_KEY, errorOf, post, recordingUpstream } from './helpers.js';

const withUpstream = (options: ClaudeHandlerOptions = {}) => {
  const upstream = recordingUpstream();
  return { upstream, handler: createClaudeHandler({ apiKey: API_KEY, fetch: upstream.fetch, ...options }) };
};

const refusedNaming = async (response: Response, option: RegExp) => {
  expect(response.status).toBe(400);
  const error = await errorOf(response);
  expect(error.type).toBe('invalid_request_error');
  expect(error.message).toMatch(option);
};

describe('createClaudeHandler passes documented fields by default', () => {
  it.each([
    ['output_config (structured outputs, effort)', { output_config: { format: { type: 'json_schema', schema: { type: 'object' } }, effort: 'low' } }],
    ['top-level cache_control', { cache_control: { type: 'ephemeral' } }],
    ['inference_geo', { inference_geo: 'us' }],
    ['speed', { speed: 'fast' }],
    ['max_tokens: 0', { max_tokens: 0 }],
    ['thinking', { thinking: { type: 'enabled', budget_tokens: 1024 } }],
    ['context_management', { context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } }],
    ['client tools (custom, bash, text editor, computer, memory)', { tools: [{ name: 'lookup', input_schema: { type: 'object' } }, { type: 'custom', name: 'x', input_schema: { type: 'object' } }, { type: 'bash_20250124', name: 'bash' }, { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' }, { type: 'computer_20250124', name: 'computer', display_width_px: 1024, display_height_px: 768 }, { type: 'memory_20250818', name: 'memory' }] }],
    ['tool search', { tools: [{ type: 'tool_search_tool_regex_20251119', name: 'tool_search_tool_regex' }] }],
    ['older sampling knobs', { temperature: 0.2, top_p: 0.9, top_k: 5, stop_sequences: ['END'], metadata: { user_id: 'u1' } }],
  ])('forwards %s as sent', async (_name, fields) => {
    const { handler, upstream } = withUpstream();
    const response = await handler(post(fields));
    expect(response.status).toBe(200);
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject(fields);
  });
});

describe('createClaudeHandler needs an opt-in for what makes Claude act and spend beyond the app', () => {
  it.each([
    ['web_search', { type: 'web_search_20250305', name: 'web_search' }],
    ['web_fetch', { type: 'web_fetch_20250910', name: 'web_fetch' }],
    ['code_execution', { type: 'code_execution_20250825', name: 'code_execution' }],
    ['advisor', { type: 'advisor_20260301', name: 'advisor' }],
    ['mcp_toolset', { type: 'mcp_toolset', mcp_server_name: 'x' }],
  ])('refuses the %s server tool, naming allowServerTools, until it is listed', async (family, tool) => {
    const closed = withUpstream();
    await refusedNaming(await closed.handler(post({ tools: [tool] })), new RegExp(`^tools\\.0\\.type: .*allowServerTools: \\['${family}'\\]`));
    expect(closed.upstream.calls).toEqual([]);
    const open = withUpstream({ allowServerTools: [family] });
    expect((await open.handler(post({ tools: [tool] }))).status).toBe(200);
    expect((await withUpstream({ allowServerTools: true }).handler(post({ tools: [tool] }))).status).toBe(200);
  });

  it('refuses a tool type it does not know, as it may be a new server tool', async () => {
    const { handler } = withUpstream();
    await refusedNaming(await handler(post({ tools: [{ type: 'teleport_20300101', name: 't' }] })), /allowServerTools: \['teleport'\]/);
  });

  it.each([
    ['mcp_servers', { mcp_servers: [{ type: 'url', url: 'https://mcp.example', name: 'x' }] }, 'allowMcpServers'],
    ['container', { container: 'container_123' }, 'allowContainer'],
  ] as const)('refuses %s naming %s, and forwards it once allowed', async (_field, fields, option) => {
    await refusedNaming(await withUpstream().handler(post(fields)), new RegExp(`${option}: true`));
    const open = withUpstream({ [option]: true });
    expect((await open.handler(post(fields))).status).toBe(200);
    expect(JSON.parse(open.upstream.calls[0]!.body)).toMatchObject(fields);
  });

  it('refuses fallback models when a model allowlist is set, unless allowed', async () => {
    const fields = { fallbacks: [{ model: 'claude-other' }] };
    const models = ['claude-sonnet-4-5'];
    await refusedNaming(await withUpstream({ models }).handler(post({ model: models[0], ...fields })), /allowFields: \['fallbacks'\]/);
    expect((await withUpstream({ models, allowFields: ['fallbacks'] }).handler(post({ model: models[0], ...fields }))).status).toBe(200);
    expect((await withUpstream().handler(post(fields))).status).toBe(200);
  });

  it('forwards a field it does not know once listed in allowFields', async () => {
    const { handler, upstream } = withUpstream({ allowFields: ['brand_new_field'] });
    expect((await handler(post({ brand_new_field: 1 }))).status).toBe(200);
    expect(JSON.parse(upstream.calls[0]!.body)).toMatchObject({ brand_new_field: 1 });
  });
});

describe("createClaudeHandler's authorize allows only on an explicit yes", () => {
  it.each([
    ['false', false], ['null', null], ['0', 0], ['an empty string', ''], ['a string', 'yes'], ['an object', { ok: true }],
  ])('refuses with 401 when authorize returns %s', async (_name, verdict) => {
    const { handler, upstream } = withUpstream({ authorize: () => verdict as never });
    const response = await handler(post());
    expect(response.status).toBe(401);
    expect((await errorOf(response)).type).toBe('authentication_error');
    expect(upstream.calls).toEqual([]);
  });

  it.each([['true', true], ['nothing', undefined]])('allows when authorize returns %s', async (_name, verdict) => {
    const { handler } = withUpstream({ authorize: async () => verdict });
    expect((await handler(post())).status).toBe(200);
  });

  it('refuses when authorize throws, and logs why on the server', async () => {
    const warnings: string[] = [];
    const { handler, upstream } = withUpstream({
      authorize: () => { throw new Error('session store down'); },
      logger: { warn: (message) => void warnings.push(message) },
    });
    const response = await handler(post());
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('session store down');
    expect(upstream.calls).toEqual([]);
    expect(warnings).toEqual([expect.stringMatching(/authorize threw/)]);
  });
});

describe("createClaudeHandler's check, the app's own rule", () => {
  it('sees the parsed request and the Request, and its string refusal becomes a 400', async () => {
    const seen: unknown[] = [];
    const { handler, upstream } = withUpstream({
      check: (params, request) => {
        seen.push([params.model, params.max_tokens, request.headers.get('x-user')]);
        return (params.max_tokens ?? 0) > 100 ? 'Free accounts get up to 100 tokens per answer.' : undefined;
      },
    });
    await refusedNaming(await handler(post({ max_tokens: 500 }, { headers: { 'content-type': 'application/json', 'x-user': 'u1' } })), /^Free accounts get up to 100/);
    expect((await handler(post({ max_tokens: 50 }))).status).toBe(200);
    expect(upstream.calls).toHaveLength(1);
    expect(seen[0]).toEqual([expect.any(String), 500, 'u1']);
  });

  it('answers with the Response check returns, and refuses on false', async () => {
    const quota = withUpstream({ check: () => errorResponse(429, 'rate_limit_error', 'Daily quota used', { headers: { 'retry-after': '3600' } }) });
    const limited = await quota.handler(post());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3600');
    expect((await withUpstream({ check: () => false }).handler(post())).status).toBe(400);
  });
});
