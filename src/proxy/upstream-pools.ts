import { Pool } from 'undici';

export interface UpstreamPoolSettings {
  /** keep-alive connections per upstream origin */
  connections: number;
}

/**
 * One keep-alive pool per upstream origin, shared by the proxy and the module clients of
 * a process, so connections are reused across every call to the same service.
 * @example pools.for('http://10.0.0.7:3101').dispatch({...}, handler)
 */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly settings: UpstreamPoolSettings) {}

  for(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.settings.connections,
        // undici's own keep-alive default stays: it follows the server's `Keep-Alive: timeout` hint
        // less a margin, so a pooled socket is never reused just as the service closes it.
        // Our own timeouts (the resilience layer's) govern; undici's would race them.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close().catch(() => pool.destroy())));
  }
}
