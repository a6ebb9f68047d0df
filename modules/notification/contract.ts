import { z } from 'zod';

/** Public face of the notification module. */

export const Channel = z.enum(['email', 'sms', 'push']);
export type Channel = z.infer<typeof Channel>;

/** `pending` until a transport accepted the message; `failed` once its attempts are used up. */
export const DeliveryStatus = z.enum(['pending', 'sent', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const SentNotification = z.object({
  id: z.uuid(),
  channel: Channel,
  recipient: z.string(),
  template: z.string(),
  subject: z.string(),
  body: z.string(),
  status: DeliveryStatus,
  createdAt: z.iso.datetime({ offset: true }),
  sentAt: z.iso.datetime({ offset: true }).nullable(),
});
export type SentNotification = z.infer<typeof SentNotification>;
