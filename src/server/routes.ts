/**
 * Which Anthropic endpoint a request is for, read from the end of its path, so the handler works wherever it is
 * mounted and an SDK's `baseURL` can be the mount itself (`baseURL: 'https://app.example/api/claude'` makes the SDK
 * post to `/api/claude/v1/messages`).
 */
export type Route = 'messages' | 'count_tokens';

/**
 * `…/v1/messages` and `…/v1/messages/count_tokens` are themselves; any other `/v1/…` path is not served (404); a
 * path with no `/v1` segment is the bare mount (`/api/claude`), which the kit's own browser transport posts to.
 */
export function routeOf(url: string): Route | 'not_found' {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1/messages')) return 'messages';
  if (path.endsWith('/v1/messages/count_tokens')) return 'count_tokens';
  if (/\/v1(\/|$)/.test(path)) return 'not_found';
  return 'messages';
}

/** The upstream path for a route. */
export const UPSTREAM_PATH: Record<Route, string> = {
  messages: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
};
