import type { Knex } from 'knex';
import { newId } from '../../src/db/new-id.js';
import type { OutboxWriter } from '../../src/events/outbox-writer.js';
import { UserProfileUpdated, UserRegistered, type NotificationPreferences, type UserProfile, type UserRole } from './contract.js';
import { normalizeEmail } from './domain/email-address.js';
import { readPhoneNumber } from './domain/phone-number.js';
import { changedFields, type ProfileField, type ProfilePatch } from './domain/profile-changes.js';
import { EmailAlreadyRegistered, InvalidPhoneNumber, UserNotFound } from './domain/user-problems.js';
import type { PasswordHasher } from './password-hasher.js';
import type { StoredUser, UserRepository } from './repository.js';
import type { UserCradle } from './user-services.js';

export interface Registration {
  email: string;
  password: string;
  firstName?: string;
  lastName?: string;
}

const UNIQUE_VIOLATION = '23505';

const profileOf = (user: StoredUser): UserProfile => ({
  id: user.id, email: user.email, role: user.role, firstName: user.firstName, lastName: user.lastName,
  phone: user.phone, address: user.address, preferences: user.preferences,
});

/** A national number is read with the country of the address the profile will have after the patch. */
function storedPhone(written: string, address: { country: string } | null): string {
  const reading = readPhoneNumber(written, address?.country);
  if (!reading.ok) throw InvalidPhoneNumber(reading.message, reading.reason === 'needs-country' ? 'phone_number_needs_country' : 'invalid_phone_number');
  return reading.e164;
}

/** Use cases of a user's own account: each change and its event commit together. */
export class UserAccounts {
  private readonly db: Knex;
  private readonly users: UserRepository;
  private readonly outbox: OutboxWriter;
  private readonly passwords: PasswordHasher;

  constructor(deps: Pick<UserCradle, 'db' | 'userRepository' | 'outbox' | 'passwordHasher'>) {
    this.db = deps.db;
    this.users = deps.userRepository;
    this.outbox = deps.outbox;
    this.passwords = deps.passwordHasher;
  }

  async register(registration: Registration, role: UserRole = 'customer'): Promise<{ id: string; email: string }> {
    const passwordHash = await this.passwords.hash(registration.password);
    const email = normalizeEmail(registration.email);
    try {
      return await this.db.transaction(async (trx) => {
        const user = await this.users.insert(trx, {
          id: newId(), email, passwordHash, role,
          firstName: registration.firstName ?? null, lastName: registration.lastName ?? null,
        });
        await this.outbox.append(trx, UserRegistered, {
          aggregateId: user.id, aggregateVersion: user.version,
          data: { userId: user.id, email: user.email, role: user.role, firstName: user.firstName, lastName: user.lastName },
          metadata: { actorId: user.id },
        });
        return { id: user.id, email: user.email };
      });
    } catch (error) {
      // The unique index, not a prior lookup, decides: two concurrent sign-ups cannot both win.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw EmailAlreadyRegistered(`${email} already has an account`);
      throw error;
    }
  }

  async profile(userId: string): Promise<UserProfile & { createdAt: string; updatedAt: string }> {
    const user = await this.users.findById(userId);
    if (!user) throw UserNotFound();
    return { ...profileOf(user), createdAt: user.createdAt, updatedAt: user.updatedAt };
  }

  /** A phone number may be written as people do; it is stored in E.164, so an equal number changes nothing. */
  updateProfile(userId: string, patch: ProfilePatch): Promise<UserProfile> {
    return this.change(userId, (current) => {
      const address = patch.address === undefined ? current.address : patch.address;
      const normalized = typeof patch.phone === 'string' ? { ...patch, phone: storedPhone(patch.phone, address) } : patch;
      const changed = changedFields({ ...current }, normalized);
      return { changed, changes: Object.fromEntries(changed.map((field) => [field, normalized[field]])) };
    });
  }

  setPreferences(userId: string, preferences: NotificationPreferences): Promise<UserProfile> {
    return this.change(userId, (current) =>
      JSON.stringify(current.preferences) === JSON.stringify(preferences) ? { changed: [], changes: {} } : { changed: ['preferences'], changes: { preferences } });
  }

  /** Row lock, change, event: a concurrent change waits, so versions and events stay in order. */
  private async change(userId: string, decide: (current: StoredUser) => { changed: ProfileField[]; changes: Partial<StoredUser> }): Promise<UserProfile> {
    return this.db.transaction(async (trx) => {
      const current = await this.users.findById(userId, trx, true);
      if (!current) throw UserNotFound();
      const { changed, changes } = decide(current);
      if (changed.length === 0) return profileOf(current);
      const updated = await this.users.update(trx, userId, changes);
      const profile = profileOf(updated);
      await this.outbox.append(trx, UserProfileUpdated, {
        aggregateId: userId, aggregateVersion: updated.version, data: { userId, changed, profile }, metadata: { actorId: userId },
      });
      return profile;
    });
  }
}
