/** MSW handlers that answer with the simulator, for tests in Node and for Storybook in the browser. */
import { HttpResponse, http } from 'msw';
import type { HttpHandler } from 'msw';
import { SimulatedNetworkError } from './outcomes.js';
import type { SimulatorFetch } from './simulator.js';

export interface SimulatorHandlersOptions {
  /**
   * What to intercept: the app's endpoint ('/api/claude') or Anthropic's ('https://api.anthropic.com/v1/messages').
   * Defaults to '*\/v1/messages' (any origin).
   */
  url?: string | RegExp;
}

export function createSimulatorHandlers(
  simulator: { fetch: SimulatorFetch },
  options: SimulatorHandlersOptions = {},
): HttpHandler[] {
  const url = options.url ?? '*/v1/messages';
  // MSW resolves a relative path against the page in a browser; Node has no page, so there it matches any origin.
  const pattern = typeof url === 'string' && url.startsWith('/') && typeof location === 'undefined' ? `*${url}` : url;
  return [
    http.post(pattern, async ({ request }) => {
      // The simulator only answers on a Messages path; an app endpoint such as /api/claude is mapped onto it.
      const { pathname } = new URL(request.url);
      const target = pathname.endsWith('/v1/messages') ? request : new Request(new URL('/v1/messages', request.url), request);
      try {
        return await simulator.fetch(target);
      } catch (error) {
        if (error instanceof SimulatedNetworkError) return HttpResponse.error();
        throw error;
      }
    }),
  ];
}
