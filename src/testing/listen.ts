/**
 * Serving the simulator over real HTTP on loopback, for the SDK, the playground and load checks. @hono/node-server is
 * imported lazily so that browser bundles (Storybook with MSW) that import this package never load Node's http.
 */
import type { AddressInfo } from 'node:net';
import type { Http2Bindings, HttpBindings } from '@hono/node-server';
import { SimulatedNetworkError } from './outcomes.js';
import type { SimulatorFetch } from './simulator.js';

export interface ListenOptions {
  /** Defaults to 0: a free port. */
  port?: number;
  /** Defaults to '127.0.0.1'. */
  host?: string;
}

export interface ListeningSimulator {
  /** e.g. `http://127.0.0.1:53121`; pass it as the SDK's `baseURL`. */
  url: string;
  port: number;
  /** Stops listening and drops open connections (keep-alive ones included). */
  close(): Promise<void>;
}

/** A body that just ends once the client has gone, since Node servers log an errored body as a crash. */
function quietOnAbort(response: Response, signal: AbortSignal): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (signal.aborted) controller.close();
        else controller.error(error);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

export async function listenSimulator(
  simulator: { fetch: SimulatorFetch },
  options: ListenOptions = {},
): Promise<ListeningSimulator> {
  const { createAdaptorServer } = await import('@hono/node-server');
  const host = options.host ?? '127.0.0.1';
  const server = createAdaptorServer({
    hostname: host,
    // Hono would otherwise replace the process's global Request and Response.
    overrideGlobalObjects: false,
    fetch: async (request: Request, env: HttpBindings | Http2Bindings) => {
      try {
        return quietOnAbort(await simulator.fetch(request), request.signal);
      } catch (error) {
        // A dropped connection, as the client sees a reset: no status line at all.
        if (error instanceof SimulatedNetworkError) env.incoming.socket.destroy();
        throw error;
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
