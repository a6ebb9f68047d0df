import { z } from 'zod';

/** Public face of the notification module. */

export const Channel = z.enum(['email', 'sms', 'push']);
export type Channel = z.infer<typeof Channel>;

export const SentNotification = z.object({
  id: z.uuid(),
  channel: Channel,
  recipient: z.string(),
  template: z.string(),
  subject: z.string(),
  body: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type SentNotification = z.infer<typeof SentNotification>;
