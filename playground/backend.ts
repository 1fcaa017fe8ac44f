import { getRequestListener } from '@hono/node-server';
import type { Plugin } from 'vite';
import { createClaudeHandler, createStatusHandler } from '../src/server/index.js';
import { createOverloadSimulator, createStatusPageSimulator } from '../src/testing/index.js';
import { MAIN_MODEL } from './src/models.js';

export interface PlaygroundBackendOptions {
  /** Use the real API when set; defaults to the ANTHROPIC_API_KEY environment variable. */
  apiKey?: string;
}

/**
 * The playground's backend, mounted in Vite's dev server: the kit's handler at /api/claude, in front of either the
 * real Claude API (when ANTHROPIC_API_KEY is set) or the built-in overload simulator, whose load /api/simulator sets.
 */
export function claudeKitBackend(options: PlaygroundBackendOptions = {}): Plugin {
  const apiKey = options.apiKey ?? process.env.ANTHROPIC_API_KEY;
  // Streams spread over a second and a half, so a person can watch text grow and a broken stream break.
  const simulator = apiKey ? undefined : createOverloadSimulator({ latencyMs: 250, serviceTimeMs: 1_500 });
  // The load control switches modes later; 'busy' then turns 60 % of requests away (set ahead: the mode starts normal).
  simulator?.configure({ busyRate: 0.6 });
  // The simulator needs no key, and the handler asks for none when given a fetch of its own.
  const upstream = apiKey ? { apiKey } : { fetch: simulator!.fetch };
  // A short hold: the playground shows the browser's side of an overload within seconds, not after the default 25 s.
  const claude = createClaudeHandler({ ...upstream, defaultModel: MAIN_MODEL, maxTokensCap: 1_024, holdMs: 5_000 });
  // The status route reads the real status page with a key, and a simulated one (with an incident switch) without.
  const statusPage = apiKey ? undefined : createStatusPageSimulator();
  const status = createStatusHandler(statusPage ? { fetch: () => statusPage.fetch(), ttlMs: 0 } : {});

  let mainModelOverloaded = false;
  const simulatorControl = async (request: Request): Promise<Response> => {
    if (!simulator) return Response.json({ upstream: 'anthropic' });
    if (request.method === 'POST') {
      const body = (await request.json().catch(() => ({}))) as {
        mode?: Parameters<typeof simulator.setMode>[0];
        incident?: boolean;
        mainModelOverloaded?: boolean;
      };
      if (body.mode) simulator.setMode(body.mode);
      // No slots at all for the main model: every request for it meets a 529, while other models keep the mode's load.
      if (body.mainModelOverloaded !== undefined) {
        mainModelOverloaded = body.mainModelOverloaded;
        simulator.configure({ models: mainModelOverloaded ? { [MAIN_MODEL]: { capacity: 0 } } : {} });
      }
      if (body.incident === true) statusPage?.openIncident({ name: 'Elevated errors on Claude API', status: 'identified' });
      if (body.incident === false) statusPage?.resolveIncident();
    }
    const incident = Boolean((statusPage?.summary().incidents as unknown[] | undefined)?.length);
    return Response.json({ upstream: 'simulator', mode: simulator.mode, incident, mainModelOverloaded, stats: simulator.stats() });
  };

  const routes: Record<string, (request: Request) => Promise<Response>> = {
    '/api/claude': claude,
    '/api/simulator': simulatorControl,
    '/api/status': status,
  };

  return {
    name: 'claude-overload-kit-playground-backend',
    configureServer(server) {
      for (const [path, handler] of Object.entries(routes)) {
        const listener = getRequestListener(handler);
        server.middlewares.use(path, (req, res) => {
          req.url = path + (req.url === '/' ? '' : (req.url ?? ''));
          void listener(req, res);
        });
      }
      server.httpServer?.once('listening', () => {
        const upstream = simulator ? 'the built-in overload simulator (no API key needed)' : 'the real Claude API';
        server.config.logger.info(`  claude-overload-kit playground: /api/claude talks to ${upstream}\n`);
      });
    },
  };
}
