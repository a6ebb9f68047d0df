import type { Channel } from '../contract.js';

/**
 * What a template produces: the full text for email, and a short line for SMS and push,
 * where a screen or 160 characters is all there is.
 */
export interface MessageContent {
  subject: string;
  body: string;
  short: string;
}

/** The subject and body stored and sent on one channel. */
export function contentFor(channel: Channel, content: MessageContent): { subject: string; body: string } {
  return channel === 'email' ? { subject: content.subject, body: content.body } : { subject: content.subject, body: content.short };
}

/** How templates greet: by first name when the customer gave one. */
export function greetingName(firstName: string | null): string {
  return firstName?.trim() || 'there';
}
