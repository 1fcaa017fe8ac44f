// A private redis-server for one test file: 127.0.0.1, a free port, no persistence, stopped by the file's afterAll.
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createConnection } from 'node:net';

const BINARY = '/usr/bin/redis-server';

export interface RedisServer {
  url: string;
  port: number;
  /** SIGKILL: the process and everything it held are gone at once, as after a crash. */
  stop(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered, as in a long fork, a swap storm or a VM pause. */
  pause(): void;
  /** SIGCONT: the commands that waited on open sockets all run now. */
  resume(): void;
}

/** Installs Debian's redis-server when it is missing and we may; otherwise says so, rather than skipping. */
function ensureInstalled(): void {
  if (existsSync(BINARY)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${BINARY} is missing: install it (sudo apt-get install -y redis-server) to run the Redis store tests.`);
  }
  execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startRedis(port?: number): Promise<RedisServer> {
  ensureInstalled();
  const chosen = port ?? (await freePort());
  const child: ChildProcess = spawn(BINARY, ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If a test times out before its cleanup, the server still goes with the test process.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));
  const deadline = Date.now() + 5_000;
  while (!(await answersPing(chosen))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on 127.0.0.1:${chosen}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url: `redis://127.0.0.1:${chosen}`,
    port: chosen,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  };
}

/**
 * Lets wall-clock time pass. Only for what a real redis-server needs real time for — a SIGSTOP hang that lasts, a
 * restart mid-run, arrivals spread over a soak — since a child process's clock and pauses cannot be faked. Anything
 * of the kit's own that waits is tested with fake timers elsewhere.
 */
export const realPause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, or fails with `what` at the deadline: no fixed sleeps. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A redis-server for the whole file and one client connected to it, for tests that drive the line's scripts
 * directly (call inside a test file, at its top level).
 */
export function useRedisClient(): { readonly client: Redis } {
  let server: RedisServer | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return {
    get client() {
      if (!client) throw new Error('the test Redis is not running');
      return client;
    },
  };
}
