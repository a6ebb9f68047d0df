import type { Knex } from 'knex';
import type { UserRole } from './contract.js';
import type { UserCradle } from './user-services.js';

export interface UserSummary {
  id: string;
  email: string;
  role: UserRole;
  createdAt: string;
}

/** The admin's view of all accounts, in sign-up order (UUIDv7 ids sort by time). */
export class UserDirectory {
  private readonly db: Knex;

  constructor({ db }: Pick<UserCradle, 'db'>) {
    this.db = db;
  }

  async list(limit: number, after?: string): Promise<{ items: UserSummary[]; nextCursor: string | null }> {
    const query = this.db('users').select('id', 'email', 'role', 'created_at').orderBy('id').limit(limit + 1);
    if (after) query.where('id', '>', after);
    const rows = (await query) as { id: string; email: string; role: UserRole; created_at: Date }[];
    const page = rows.slice(0, limit);
    return {
      items: page.map((row) => ({ id: row.id, email: row.email, role: row.role, createdAt: row.created_at.toISOString() })),
      nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
    };
  }
}
