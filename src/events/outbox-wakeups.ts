import pg from 'pg';
import type { Logger } from '../observability/logger.js';

const CHANNEL = 'outbox_committed';
const RECONNECT_MS = 1_000;

/**
 * One LISTEN connection per process that wakes the relay of the schema whose outbox
 * just committed. Losing it only costs latency: relays poll as well.
 */
export class OutboxWakeups {
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly url: string, private readonly onCommit: (schema: string) => void, private readonly log: Logger) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'commerce:outbox-wakeups' });
    client.on('notification', (message) => {
      if (message.channel === CHANNEL && message.payload) this.onCommit(message.payload);
    });
    client.on('error', (error) => {
      this.log.warn({ err: error.message }, 'outbox wake-up connection lost');
      this.retry(client);
    });
    client.on('end', () => this.retry(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot listen for outbox commits; polling only until it can');
      this.retry(client);
    }
  }

  private retry(client: pg.Client): void {
    if (this.stopped || (this.client && this.client !== client)) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => { void this.connect(); }, RECONNECT_MS);
  }
}
