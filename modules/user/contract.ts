import { z } from 'zod';
import { defineEvent } from '../../src/events/envelope.js';

/** Public face of the user module: what other modules may know about users. */

export const UserRole = z.enum(['customer', 'admin']);
export type UserRole = z.infer<typeof UserRole>;

export const Address = z.strictObject({
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as DE'),
});
export type Address = z.infer<typeof Address>;

export const NotificationPreferences = z.strictObject({
  email: z.boolean(),
  sms: z.boolean(),
  push: z.boolean(),
});
export type NotificationPreferences = z.infer<typeof NotificationPreferences>;

export const UserProfile = z.object({
  id: z.uuid(),
  email: z.email(),
  role: UserRole,
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
  phone: z.string().nullable(),
  address: Address.nullable(),
  preferences: NotificationPreferences,
});
export type UserProfile = z.infer<typeof UserProfile>;

export const UserRegistered = defineEvent('UserRegistered', 1, z.object({
  userId: z.uuid(),
  email: z.email(),
  role: UserRole,
  firstName: z.string().nullable(),
  lastName: z.string().nullable(),
}));

/** Raised for profile and preference changes alike; carries the whole profile so consumers can keep a copy. */
export const UserProfileUpdated = defineEvent('UserProfileUpdated', 1, z.object({
  userId: z.uuid(),
  changed: z.array(z.enum(['firstName', 'lastName', 'phone', 'address', 'preferences'])).min(1),
  profile: UserProfile,
}));
