import { Agent, request } from 'node:http';

export interface LoadResponse {
  status: number;
  body: string;
}

/**
 * A lean keep-alive JSON client for load generation: fetch costs several times more CPU
 * per request, and on a 2-core machine the generator's CPU is the server's.
 */
export class LoadClient {
  private readonly agent: Agent;

  constructor(private readonly port: number, connections: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets: connections });
  }

  send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<LoadResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: this.port, method, path, agent: this.agent,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed for idleness just as it was reused: the request
        // almost surely never reached the server (and an order carries its idempotency key), so
        // it is sent again on another socket rather than failing a long run.
        if (req.reusedSocket && error.code === 'ECONNRESET') resolve(this.send(method, path, body, headers));
        else reject(error);
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
