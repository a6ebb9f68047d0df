import nodemailer, { type NodemailerError } from 'nodemailer';
import { messageIdFor } from '../domain/message-id.js';
import { permanentRejection, type Accepted, type NotificationChannel, type OutgoingMessage } from './notification-channel.js';

/**
 * Timeouts well under the claim lease (CLAIM_TIMING.leaseMs), so an attempt always ends
 * before another dispatcher may take the message over.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

/** Email over SMTP through one pooled transport (kept-open connections, at most five). */
export class SmtpEmailChannel implements NotificationChannel {
  private readonly transport;

  constructor(private readonly settings: { smtpUrl: string; mailFrom: string }) {
    // Options the URL's query sets (e.g. `?tls.rejectUnauthorized=false`) win over these.
    this.transport = nodemailer.createTransport({ url: settings.smtpUrl, pool: true, ...TIMEOUTS }, { from: settings.mailFrom });
  }

  async send(message: OutgoingMessage): Promise<Accepted> {
    try {
      await this.transport.sendMail({
        to: message.recipient,
        subject: message.subject,
        text: message.body,
        messageId: messageIdFor(message.id, this.settings.mailFrom),
      });
      return { transport: 'smtp' };
    } catch (error) {
      throw isRefusedForGood(error as NodemailerError) ? permanentRejection(`mail refused: ${(error as Error).message}`, error) : error;
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * A 5xx reply to the envelope or the message itself (unknown mailbox, content refused).
 * Connection and authentication failures stay retryable: they are about us, not the message.
 */
function isRefusedForGood(error: NodemailerError): boolean {
  return error.permanent === true && (error.code === 'EENVELOPE' || error.code === 'EMESSAGE');
}
