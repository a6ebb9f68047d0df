import type { Knex } from 'knex';
import type { Recipient } from './domain/delivery-plan.js';

/** The parts of a user's profile this module keeps, with the user's aggregate version they reflect. */
export interface RecipientProfile {
  userId: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  phone: string | null;
  preferences: { email: boolean; sms: boolean; push: boolean };
  version: number;
}

interface RecipientRow {
  user_id: string; email: string; first_name: string | null; phone: string | null;
  email_enabled: boolean; sms_enabled: boolean; push_enabled: boolean; profile_version: number;
}

/** A copy of a recipient as read, and the user's profile version it reflects. */
export interface KnownRecipient {
  recipient: Recipient;
  version: number;
}

/** Recipients this process remembers at most; the one read longest ago goes first. */
const REMEMBERED = 10_000;

const columnsOf = (profile: RecipientProfile) => ({
  user_id: profile.userId, email: profile.email, first_name: profile.firstName, last_name: profile.lastName, phone: profile.phone,
  email_enabled: profile.preferences.email, sms_enabled: profile.preferences.sms, push_enabled: profile.preferences.push,
  profile_version: profile.version,
});

function changeableColumnsOf(profile: RecipientProfile) {
  const { user_id: _key, ...rest } = columnsOf(profile);
  return rest;
}

/**
 * The module's copy of its customers (event-carried state). Events may arrive late or twice:
 * the user's aggregate version decides, so an older profile never overwrites a newer one.
 */
export class Recipients {
  /**
   * The last copy of each recipient this process read, with its version: a notice is usually
   * recorded from it without reading the row again, by an insert that checks the row is still
   * at that version (see NotificationLog.record). So a change another process applied is
   * never missed, only costs a fresh read.
   */
  private readonly remembered = new Map<string, KnownRecipient>();

  /** A registration is the first version: it never replaces a copy an update already made. */
  async rememberRegistered(trx: Knex.Transaction, profile: RecipientProfile): Promise<void> {
    this.remembered.delete(profile.userId);
    await trx('recipients').insert(columnsOf(profile)).onConflict('user_id').ignore();
  }

  async applyProfile(trx: Knex.Transaction, profile: RecipientProfile): Promise<void> {
    this.remembered.delete(profile.userId);
    await trx('recipients')
      .insert(columnsOf(profile))
      .onConflict('user_id')
      .merge({ ...changeableColumnsOf(profile), updated_at: trx.fn.now() })
      .where('recipients.profile_version', '<', profile.version);
  }

  async find(trx: Knex.Transaction, userId: string): Promise<Recipient | undefined> {
    const row = (await trx('recipients').where({ user_id: userId }).first()) as RecipientRow | undefined;
    if (!row) return undefined;
    const recipient = {
      userId: row.user_id, email: row.email, firstName: row.first_name, phone: row.phone,
      preferences: { email: row.email_enabled, sms: row.sms_enabled, push: row.push_enabled },
    };
    this.remember({ recipient, version: row.profile_version });
    return recipient;
  }

  /** The copy last read here, if any: a hint, to be checked against the row's version when used. */
  lastRead(userId: string): KnownRecipient | undefined {
    return this.remembered.get(userId);
  }

  private remember(known: KnownRecipient): void {
    this.remembered.delete(known.recipient.userId);
    if (this.remembered.size >= REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(known.recipient.userId, known);
  }
}
