import type { Channel } from '../contract.js';

/** A rendered message, ready for a transport. */
export interface OutgoingMessage {
  /** the notification's id: the same on every attempt, so a resend is recognisable */
  id: string;
  channel: Channel;
  recipient: string;
  subject: string;
  body: string;
}

/** Which transport accepted a message, recorded with it (`smtp`, `capture`). */
export interface Accepted {
  transport: string;
}

/**
 * One way of reaching a customer. `send` resolves once the transport accepted the message
 * and rejects otherwise; a rejection that {@link isPermanentRejection} recognises is not retried.
 */
export interface NotificationChannel {
  send(message: OutgoingMessage): Promise<Accepted>;
  /** releases connections; messages still in flight fail and stay pending */
  close?(): Promise<void>;
}

const PERMANENT = Symbol.for('commerce.notification.permanent-rejection');

/** The receiving side refused this message for good (e.g. an unknown mailbox): retrying would be refused again. */
export function permanentRejection(message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, { cause }), { [PERMANENT]: true });
}

export function isPermanentRejection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[PERMANENT] === true;
}
