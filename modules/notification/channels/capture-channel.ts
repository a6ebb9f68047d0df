import type { Logger } from '../../../src/observability/logger.js';
import type { Accepted, NotificationChannel, OutgoingMessage } from './notification-channel.js';

/**
 * Accepts every message without sending it anywhere. The rendered message is already stored
 * in the notifications table; being marked sent by the `capture` transport is its record.
 * Email uses it when no SMTP_URL is configured; SMS and push until a provider is wired in.
 */
export class CaptureChannel implements NotificationChannel {
  constructor(private readonly log: Logger) {}

  async send(message: OutgoingMessage): Promise<Accepted> {
    this.log.debug({ notificationId: message.id, channel: message.channel }, 'message captured, not sent');
    return { transport: 'capture' };
  }
}
