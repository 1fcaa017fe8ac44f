/**
 * Serving a Fetch handler (the simulator) over real HTTP on loopback, for the SDK, the playground and load checks,
 * with Node's own http module: testing is Node-only, and no adapter package is needed. `node:http` is imported
 * lazily so that browser bundles (Storybook with MSW) that import this package never load it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { SimulatedNetworkError } from './outcomes.js';

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

/**
 * The Fetch Request for a Node request; its signal fires when the client goes away before the answer is done. Its URL
 * has the host the client asked for (port included), as a framework's adapter gives it, so a handler that builds
 * URLs back to itself (a batch's results_url) gets them right.
 */
function toRequest(req: IncomingMessage, res: ServerResponse, fallbackOrigin: string, readable: typeof Readable): Request {
  const origin = req.headers.host ? `http://${req.headers.host}` : fallbackOrigin;
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
}

/** Writes a Fetch Response, streaming its body chunk by chunk; a client that left ends it quietly. */
async function send(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/** The simulator's `fetch` (and `handle`): what `listenSimulator` serves. */
export type SimulatorFetch = (input: Request | string | URL, init?: RequestInit) => Promise<Response>;

export async function listenSimulator(
  simulator: { fetch: SimulatorFetch },
  options: ListenOptions = {},
): Promise<ListeningSimulator> {
  const { createServer } = await import('node:http');
  const { Readable: readable } = await import('node:stream');
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const request = toRequest(req, res, `http://${host}`, readable);
    simulator.fetch(request).then(
      (response) => send(response, res),
      (error: unknown) => {
        // A dropped connection, as the client sees a reset: no status line at all.
        if (error instanceof SimulatedNetworkError) return void req.socket.destroy();
        if (request.signal.aborted) return void res.destroy();
        res.writeHead(500, { 'content-type': 'text/plain' }).end('Internal error in the simulator');
      },
    );
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
        server.closeAllConnections();
      }),
  };
}
