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

/**
 * The rest of Claude's API, forwarded only when the app opts in with `allowRoutes` (off by default: a browser must
 * not list, create or delete batches and files on the app's key): `models` (GET /v1/models, /v1/models/:id),
 * `batches` (/v1/messages/batches and below, results included) and `files` (/v1/files and below, upload and download).
 */
export type ApiRoute = 'models' | 'batches' | 'files';

export const API_ROUTES: readonly ApiRoute[] = ['models', 'batches', 'files'];

/** Every route a request can take, as `authorize` sees it. */
export type ClaudeRoute = Route | ApiRoute;

/** One id in a path: an Anthropic id (`msgbatch_…`, `file_…`, a model name), never an encoded slash or a dot segment. */
const ID = String.raw`[\w.:@-]+`;

/** Each endpoint of the opt-in routes with the methods Anthropic's API serves it on (and the SDKs use). */
const ENDPOINTS: readonly { route: ApiRoute; path: RegExp; methods: readonly string[] }[] = [
  { route: 'models', path: /^\/v1\/models$/, methods: ['GET'] },
  { route: 'models', path: new RegExp(`^/v1/models/${ID}$`), methods: ['GET'] },
  { route: 'batches', path: /^\/v1\/messages\/batches$/, methods: ['GET', 'POST'] },
  { route: 'batches', path: new RegExp(`^/v1/messages/batches/${ID}$`), methods: ['GET', 'DELETE'] },
  { route: 'batches', path: new RegExp(`^/v1/messages/batches/${ID}/results$`), methods: ['GET'] },
  { route: 'batches', path: new RegExp(`^/v1/messages/batches/${ID}/cancel$`), methods: ['POST'] },
  { route: 'files', path: /^\/v1\/files$/, methods: ['GET', 'POST'] },
  { route: 'files', path: new RegExp(`^/v1/files/${ID}$`), methods: ['GET', 'DELETE'] },
  { route: 'files', path: new RegExp(`^/v1/files/${ID}/content$`), methods: ['GET'] },
];

export interface ApiCall {
  route: ApiRoute;
  /** The upstream path, from `/v1` on, with the query: `/v1/models?limit=20`. */
  path: string;
  /** The mount as the client reached it, up to `/v1`: `https://app.example/api/claude`. */
  mount: string;
  methods: readonly string[];
}

/** The opt-in endpoint a URL names (read from its last `/v1/`), or undefined for any other path. */
export function apiCallOf(url: string): ApiCall | undefined {
  const parsed = new URL(url);
  const pathname = parsed.pathname.replace(/\/+$/, '');
  const at = pathname.lastIndexOf('/v1/');
  if (at < 0) return undefined;
  const path = pathname.slice(at);
  const endpoint = ENDPOINTS.find((candidate) => candidate.path.test(path));
  if (!endpoint) return undefined;
  return { route: endpoint.route, path: path + parsed.search, mount: parsed.origin + pathname.slice(0, at), methods: endpoint.methods };
}
