/**
 * A Redis server of one test file alone, on a loopback port nobody else uses, so the test
 * can stop and restart it without touching the machine's Redis or other test files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const READY_TIMEOUT_MS = 10_000;

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(readonly port: number) {}

  /** Picks a free port and starts the server there. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string { return `redis://127.0.0.1:${this.port}`; }
  get running(): boolean { return this.child !== undefined; }

  /** Starts the server (empty: nothing is saved) and resolves once it answers PING. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // Should the test process end without afterAll, the server must not outlive it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => {
      process.off('exit', killOnExit);
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await this.answers())) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer within ${READY_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    await this.exited;
    this.child = undefined;
  }

  /** Whether a server answers PING on the port, asked over a raw socket (no client library state). */
  answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      let answer = '';
      const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
      socket.setTimeout(500, () => done(false));
      socket.once('error', () => done(false));
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (chunk) => {
        answer += chunk.toString();
        if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
      });
    });
  }
}

/**
 * A loopback port nobody listens on (nor on port + each of `alsoFree`), outside the kernel's
 * ephemeral range, so that while a test's server is stopped no outgoing connection takes it.
 */
export async function freePort(taken: readonly number[] = [], alsoFree: readonly number[] = []): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (taken.includes(port)) continue;
    const free = await Promise.all([port, ...alsoFree.map((offset) => port + offset)].map(isFree));
    if (free.every(Boolean)) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
