import type { Channel } from '../contract.js';

/** What the module knows about a customer, kept from the user module's events. */
export interface Recipient {
  userId: string;
  email: string;
  firstName: string | null;
  phone: string | null;
  preferences: { email: boolean; sms: boolean; push: boolean };
}

export interface Delivery {
  channel: Channel;
  /** mailbox, phone number, or the user id a push provider addresses devices by */
  address: string;
}

/** One delivery per channel the customer allows and can be reached on (SMS needs a phone number). */
export function deliveriesFor(recipient: Recipient): Delivery[] {
  const deliveries: Delivery[] = [];
  if (recipient.preferences.email) deliveries.push({ channel: 'email', address: recipient.email });
  if (recipient.preferences.sms && recipient.phone) deliveries.push({ channel: 'sms', address: recipient.phone });
  if (recipient.preferences.push) deliveries.push({ channel: 'push', address: recipient.userId });
  return deliveries;
}
