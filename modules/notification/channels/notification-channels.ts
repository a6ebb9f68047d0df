import type { Config } from '../../../src/config/config.js';
import type { Logger } from '../../../src/observability/logger.js';
import type { Channel } from '../contract.js';
import { CaptureChannel } from './capture-channel.js';
import type { Accepted, NotificationChannel, OutgoingMessage } from './notification-channel.js';
import { SmtpEmailChannel } from './smtp-email-channel.js';

/**
 * Picks the transport of each message by its channel: SMTP for email when SMTP_URL is set,
 * capture otherwise; SMS and push are captured until a provider is wired in here.
 */
export class NotificationChannels implements NotificationChannel {
  private readonly byChannel: Record<Channel, NotificationChannel>;
  private readonly capture: CaptureChannel;

  constructor({ config, log }: { config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM'>; log: Logger }) {
    const capture = new CaptureChannel(log);
    this.capture = capture;
    this.byChannel = {
      email: config.SMTP_URL ? new SmtpEmailChannel({ smtpUrl: config.SMTP_URL, mailFrom: config.MAIL_FROM }) : capture,
      sms: capture,
      push: capture,
    };
  }

  /** Whether this channel only captures: its messages are stored as sent, never dispatched. */
  captures(channel: Channel): boolean {
    return this.byChannel[channel] === this.capture;
  }

  send(message: OutgoingMessage): Promise<Accepted> {
    return this.byChannel[message.channel].send(message);
  }

  async close(): Promise<void> {
    await Promise.all([...new Set(Object.values(this.byChannel))].map((channel) => channel.close?.()));
  }
}
