import type { Knex } from 'knex';
import type { Address, NotificationPreferences, UserProfile, UserRole } from './contract.js';
import type { UserCradle } from './user-services.js';

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: UserRole;
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  address: Address | null;
  preferences: NotificationPreferences;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface StoredUser extends UserProfile {
  passwordHash: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  role: UserRole;
  firstName: string | null;
  lastName: string | null;
}

export type UserChanges = Partial<Pick<StoredUser, 'firstName' | 'lastName' | 'phone' | 'address' | 'preferences' | 'role' | 'passwordHash'>>;

const toUser = (row: UserRow): StoredUser => ({
  id: row.id,
  email: row.email,
  role: row.role,
  firstName: row.first_name,
  lastName: row.last_name,
  phone: row.phone,
  address: row.address,
  preferences: row.preferences,
  passwordHash: row.password_hash,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const COLUMN_OF: Record<keyof UserChanges, string> = {
  firstName: 'first_name', lastName: 'last_name', phone: 'phone', address: 'address',
  preferences: 'preferences', role: 'role', passwordHash: 'password_hash',
};
const JSON_COLUMNS = new Set(['address', 'preferences']);

/** SQL for the users table; writes take the caller's transaction. */
export class UserRepository {
  private readonly db: Knex;

  constructor({ db }: Pick<UserCradle, 'db'>) {
    this.db = db;
  }

  async insert(trx: Knex.Transaction, user: NewUser): Promise<StoredUser> {
    const [row] = await trx<UserRow>('users')
      .insert({ id: user.id, email: user.email, password_hash: user.passwordHash, role: user.role, first_name: user.firstName, last_name: user.lastName })
      .returning('*');
    return toUser(row as UserRow);
  }

  async findByEmail(email: string): Promise<StoredUser | undefined> {
    const row = await this.db<UserRow>('users').where({ email }).first();
    return row ? toUser(row) : undefined;
  }

  async findById(id: string, trx?: Knex.Transaction, forUpdate = false): Promise<StoredUser | undefined> {
    const query = (trx ?? this.db)<UserRow>('users').where({ id }).first();
    const row = await (forUpdate ? query.forUpdate() : query);
    return row ? toUser(row) : undefined;
  }

  /** Applies changes and bumps the version, which becomes the event's aggregate version. */
  async update(trx: Knex.Transaction, id: string, changes: UserChanges): Promise<StoredUser> {
    const values: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(changes) as [keyof UserChanges, unknown][]) {
      const column = COLUMN_OF[field];
      values[column] = JSON_COLUMNS.has(column) && value !== null ? JSON.stringify(value) : value;
    }
    const [row] = await trx<UserRow>('users')
      .where({ id })
      .update({ ...values, version: trx.raw('version + 1'), updated_at: trx.fn.now() } as never)
      .returning('*');
    return toUser(row as UserRow);
  }
}
