import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TableCard } from './module-map-types.js';

/**
 * The tables a migration folder leaves behind, read statically from the migrations' `up`
 * (no database): knex's `createTable('x'` / `createTableIfNotExists('x'` / `renameTable('a', 'b')`
 * / `dropTable('x')`, and raw SQL `CREATE TABLE x`, `ALTER TABLE a RENAME TO b`, `DROP TABLE x`,
 * applied in migration order. It reads TypeScript and the compiled JavaScript alike, so the
 * same scan works in the repository and in a built image (`dist/migrations/`).
 */

const MIGRATION_FILE = /\.(ts|mts|js|mjs|cjs)$/;
const IDENTIFIER = String.raw`"?(?:[A-Za-z_][\w$]*"?\."?)?([A-Za-z_][\w$]*)"?`;
const QUOTED = String.raw`['"\`]([A-Za-z_][\w$.]*)['"\`]`;

type Change = { at: number; create?: string; drop?: string; rename?: [string, string] };

const bare = (name: string): string => name.split('.').pop()!;

/** The text of `up`: everything before `down` is declared (or the whole file). */
function upPart(text: string): string {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[\s;])\/\/.*$/gm, '$1');
  const down = /export\s+(?:async\s+)?function\s+down\b|export\s+const\s+down\b|exports\.down\s*=/.exec(withoutComments);
  return down ? withoutComments.slice(0, down.index) : withoutComments;
}

function changesIn(text: string): Change[] {
  const changes: Change[] = [];
  const scan = (pattern: RegExp, toChange: (match: RegExpExecArray) => Omit<Change, 'at'>): void => {
    for (const match of text.matchAll(pattern)) changes.push({ at: match.index, ...toChange(match) });
  };
  scan(new RegExp(String.raw`\.createTable(?:IfNotExists)?\(\s*${QUOTED}`, 'g'), (m) => ({ create: bare(m[1]!) }));
  scan(new RegExp(String.raw`\.renameTable\(\s*${QUOTED}\s*,\s*${QUOTED}`, 'g'), (m) => ({ rename: [bare(m[1]!), bare(m[2]!)] }));
  scan(new RegExp(String.raw`\.dropTable(?:IfExists)?\(\s*${QUOTED}`, 'g'), (m) => ({ drop: bare(m[1]!) }));
  scan(new RegExp(String.raw`\bCREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY)\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${IDENTIFIER}`, 'gi'), (m) => ({ create: m[1]! }));
  scan(new RegExp(String.raw`\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${IDENTIFIER}\s+RENAME\s+TO\s+${IDENTIFIER}`, 'gi'), (m) => ({ rename: [m[1]!, m[2]!] }));
  scan(new RegExp(String.raw`\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?${IDENTIFIER}`, 'gi'), (m) => ({ drop: m[1]! }));
  return changes.sort((a, b) => a.at - b.at);
}

/** The migration files of a folder, one per name (a `.ts` and its compiled `.js` count once), in the order knex runs them. */
function migrationFiles(folder: string): { name: string; file: string }[] {
  if (!existsSync(folder)) return [];
  const byName = new Map<string, string>();
  // the source wins over its compiled twin
  const entries = readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isFile() && MIGRATION_FILE.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name))
    .map((entry) => entry.name)
    .sort((a, b) => Number(/\.[mc]?js$/.test(a)) - Number(/\.[mc]?js$/.test(b)) || (a < b ? -1 : a > b ? 1 : 0));
  for (const file of entries) {
    const name = file.replace(MIGRATION_FILE, '');
    if (!byName.has(name)) byName.set(name, path.join(folder, file));
  }
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, file]) => ({ name, file }));
}

/**
 * @example migrationTables('/repo/migrations/orders') // → [{ name: 'idempotency_keys', migration: '20261202000001_orders' }, …]
 */
export function migrationTables(folder: string): TableCard[] {
  const tables = new Map<string, string>();
  for (const { name, file } of migrationFiles(folder)) {
    for (const change of changesIn(upPart(readFileSync(file, 'utf8')))) {
      if (change.create && !tables.has(change.create)) tables.set(change.create, name);
      if (change.drop) tables.delete(change.drop);
      if (change.rename) {
        const [from, to] = change.rename;
        const createdIn = tables.get(from);
        if (createdIn === undefined) continue;
        tables.delete(from);
        tables.set(to, createdIn);
      }
    }
  }
  return [...tables.entries()].map(([table, migration]) => ({ name: table, migration })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
