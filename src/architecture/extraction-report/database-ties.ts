import pg from 'pg';
import { databaseName, redactPassword } from '../../db/database-url.js';
import type {
  DatabaseTies, DependencyTie, Direction, ExtensionRequirement, ForeignKeyTie, FunctionReferenceTie, MembershipTie, OwnershipTie, PrivilegeTie,
} from './report-types.js';

/**
 * What ties a module's schema to the other schemas of the database, read from the catalogs:
 * foreign keys, objects depending on objects of another schema (views, functions, types,
 * defaults, triggers), function bodies naming another schema, privileges across schemas,
 * role memberships and ownership. Extraction moves the schema to a database of its own, so
 * each of these would break there. Read-only: it runs in a READ ONLY transaction.
 */

export interface DatabaseTiesOptions {
  /** a role that may read every catalog, normally DATABASE_URL (superuser in development) */
  url: string;
  schema: string;
  role: string;
  /** connection timeout (default 3 s) */
  timeoutMs?: number;
}

/** Schemas of PostgreSQL itself: never a tie. */
const USER_SCHEMA = (column: string): string => `(${column} !~ '^pg_' AND ${column} <> 'information_schema')`;

const FOREIGN_KEYS = `
  SELECT con.conname AS name, sn.nspname AS from_schema, sc.relname AS from_table,
         tn.nspname AS to_schema, tc.relname AS to_table, pg_get_constraintdef(con.oid) AS definition
  FROM pg_constraint con
  JOIN pg_class sc ON sc.oid = con.conrelid JOIN pg_namespace sn ON sn.oid = sc.relnamespace
  JOIN pg_class tc ON tc.oid = con.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
  WHERE con.contype = 'f' AND sn.nspname <> tn.nspname AND $1 IN (sn.nspname, tn.nspname)
  ORDER BY sn.nspname, sc.relname, con.conname`;

/**
 * pg_depend rows whose two ends lie in different user schemas, one of them ours. Foreign keys
 * (and the internal triggers that enforce them) are left out: FOREIGN_KEYS reports them.
 */
const DEPENDENCIES = `
  WITH user_schemas AS MATERIALIZED (SELECT oid, nspname FROM pg_namespace WHERE ${USER_SCHEMA('nspname')}),
  located(classid, objid, nsp) AS MATERIALIZED (
    SELECT 'pg_class'::regclass::oid, c.oid, c.relnamespace FROM pg_class c JOIN user_schemas n ON n.oid = c.relnamespace
    UNION ALL SELECT 'pg_proc'::regclass::oid, p.oid, p.pronamespace FROM pg_proc p JOIN user_schemas n ON n.oid = p.pronamespace
    UNION ALL SELECT 'pg_type'::regclass::oid, t.oid, t.typnamespace FROM pg_type t JOIN user_schemas n ON n.oid = t.typnamespace
    UNION ALL SELECT 'pg_constraint'::regclass::oid, k.oid, k.connamespace FROM pg_constraint k JOIN user_schemas n ON n.oid = k.connamespace WHERE k.contype <> 'f'
    UNION ALL SELECT 'pg_rewrite'::regclass::oid, r.oid, c.relnamespace FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN user_schemas n ON n.oid = c.relnamespace
    UNION ALL SELECT 'pg_trigger'::regclass::oid, t.oid, c.relnamespace FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN user_schemas n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal
    UNION ALL SELECT 'pg_attrdef'::regclass::oid, a.oid, c.relnamespace FROM pg_attrdef a JOIN pg_class c ON c.oid = a.adrelid JOIN user_schemas n ON n.oid = c.relnamespace
    UNION ALL SELECT 'pg_policy'::regclass::oid, p.oid, c.relnamespace FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN user_schemas n ON n.oid = c.relnamespace
    UNION ALL SELECT 'pg_operator'::regclass::oid, o.oid, o.oprnamespace FROM pg_operator o JOIN user_schemas n ON n.oid = o.oprnamespace
    UNION ALL SELECT 'pg_collation'::regclass::oid, o.oid, o.collnamespace FROM pg_collation o JOIN user_schemas n ON n.oid = o.collnamespace
    UNION ALL SELECT 'pg_statistic_ext'::regclass::oid, o.oid, o.stxnamespace FROM pg_statistic_ext o JOIN user_schemas n ON n.oid = o.stxnamespace
    UNION ALL SELECT 'pg_namespace'::regclass::oid, n.oid, n.oid FROM user_schemas n
  ),
  crossing AS MATERIALIZED (
    SELECT d.classid, d.objid, d.refclassid, d.refobjid, dl.nsp AS dependent_nsp, rl.nsp AS referenced_nsp
    FROM located dl
    JOIN pg_depend d ON d.classid = dl.classid AND d.objid = dl.objid AND d.deptype IN ('n', 'a', 'i')
    JOIN located rl ON rl.classid = d.refclassid AND rl.objid = d.refobjid
    WHERE dl.nsp <> rl.nsp
  )
  SELECT DISTINCT dn.nspname AS dependent_schema,
         -- a view's rule stands for the view
         CASE WHEN x.classid = 'pg_rewrite'::regclass
           THEN pg_describe_object('pg_class'::regclass, (SELECT ev_class FROM pg_rewrite WHERE oid = x.objid), 0)
           ELSE pg_describe_object(x.classid, x.objid, 0) END AS dependent,
         rn.nspname AS referenced_schema, pg_describe_object(x.refclassid, x.refobjid, 0) AS referenced,
         ext.extname AS extension
  FROM crossing x
  JOIN pg_namespace dn ON dn.oid = x.dependent_nsp
  JOIN pg_namespace rn ON rn.oid = x.referenced_nsp
  LEFT JOIN pg_depend xd ON xd.classid = x.refclassid AND xd.objid = x.refobjid AND xd.deptype = 'e'
  LEFT JOIN pg_extension ext ON ext.oid = xd.refobjid
  WHERE $1 IN (dn.nspname, rn.nspname)
  ORDER BY 1, 2, 3, 4`;

/** PL/pgSQL bodies record no dependencies: look for `<other schema>.` in the source text instead. */
const FUNCTION_REFERENCES = `
  SELECT fn.nspname AS schema, p.oid::regprocedure::text AS function, other.nspname AS mentions
  FROM pg_proc p
  JOIN pg_namespace fn ON fn.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname NOT IN ('c', 'internal')
  JOIN pg_namespace other ON other.nspname <> fn.nspname AND ${USER_SCHEMA('other.nspname')}
  WHERE $1 IN (fn.nspname, other.nspname) AND ${USER_SCHEMA('fn.nspname')}
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
    AND p.prosrc ~* ('(^|[^a-z0-9_$."])"?' || regexp_replace(other.nspname, '([.^$*+?()\\[\\]{}|\\\\])', '\\\\\\1', 'g') || '"?\\s*\\.\\s*"?[a-z_]')
  ORDER BY 1, 2, 3`;

/**
 * Explicit grants across the boundary: the module's role ($2) on another schema's objects
 * (outgoing), and anyone but the owner on this schema's objects (incoming). PUBLIC's default
 * EXECUTE on functions and USAGE on types is not a tie.
 */
const PRIVILEGES = `
  WITH acls(object_type, schema, object, revoke_on, owner, acl, public_by_default) AS (
    SELECT 'schema', n.nspname, quote_ident(n.nspname), 'ON SCHEMA ' || quote_ident(n.nspname), n.nspowner, n.nspacl, false FROM pg_namespace n
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' ELSE 'table' END,
           n.nspname, format('%I.%I', n.nspname, c.relname),
           format('ON %s %I.%I', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, n.nspname, c.relname), c.relowner, c.relacl, false
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND c.relacl IS NOT NULL
    UNION ALL
    SELECT 'column', n.nspname, format('%I.%I.%I', n.nspname, c.relname, a.attname),
           format('(%I) ON TABLE %I.%I', a.attname, n.nspname, c.relname), c.relowner, a.attacl, false
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attacl IS NOT NULL
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, p.oid::regprocedure::text,
           format('ON %s %s', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, p.oid::regprocedure::text), p.proowner, p.proacl, true
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proacl IS NOT NULL
    UNION ALL
    SELECT 'type', n.nspname, format_type(t.oid, NULL), 'ON TYPE ' || format_type(t.oid, NULL), t.typowner, t.typacl, true
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typacl IS NOT NULL
  )
  SELECT CASE WHEN a.schema = $1 THEN 'incoming' ELSE 'outgoing' END AS direction, a.object_type, a.schema, a.object,
         CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END AS grantee,
         array_agg(DISTINCT e.privilege_type ORDER BY e.privilege_type) AS privileges, '' AS revoke_prefix, a.revoke_on
  FROM acls a CROSS JOIN LATERAL aclexplode(a.acl) e
  WHERE a.acl IS NOT NULL AND ${USER_SCHEMA('a.schema')}
    AND (
      (a.schema = $1 AND e.grantee <> a.owner AND e.grantee IS DISTINCT FROM $2::oid AND NOT (a.public_by_default AND e.grantee = 0))
      OR (a.schema <> $1 AND e.grantee = $2::oid AND e.grantee <> a.owner)
    )
  GROUP BY 1, 2, 3, 4, 5, 8
  UNION ALL
  SELECT CASE WHEN e.grantee = $2::oid THEN 'outgoing' ELSE 'incoming' END, 'default privileges', coalesce(n.nspname, '(every schema)'),
         format('future %s of %s%s', k.plural, pg_get_userbyid(d.defaclrole), CASE WHEN n.nspname IS NULL THEN '' ELSE ' in schema ' || quote_ident(n.nspname) END),
         CASE WHEN e.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(e.grantee) END,
         array_agg(DISTINCT e.privilege_type ORDER BY e.privilege_type),
         format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s ', pg_get_userbyid(d.defaclrole), CASE WHEN n.nspname IS NULL THEN '' ELSE ' IN SCHEMA ' || quote_ident(n.nspname) END),
         'ON ' || upper(k.plural)
  FROM pg_default_acl d
  LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
  JOIN (VALUES ('r', 'tables'), ('S', 'sequences'), ('f', 'functions'), ('T', 'types'), ('n', 'schemas')) AS k(objtype, plural) ON k.objtype = d.defaclobjtype::text
  CROSS JOIN LATERAL aclexplode(d.defaclacl) e
  WHERE e.grantee <> d.defaclrole AND NOT (e.grantee = 0 AND d.defaclobjtype IN ('f', 'T'))
    AND (d.defaclrole = $2::oid OR n.nspname = $1 OR e.grantee = $2::oid)
    AND NOT (e.grantee = $2::oid AND n.nspname = $1)
  GROUP BY 1, 2, 3, 4, 5, 7, 8
  ORDER BY 1, 3, 4, 5`;

const MEMBERSHIPS = `
  SELECT r.rolname AS role, m.rolname AS member,
         (am.member = $1::oid OR m.oid IN (SELECT nspowner FROM pg_namespace WHERE nspname <> $2 AND ${USER_SCHEMA('nspname')})) AS blocking
  FROM pg_auth_members am JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
  WHERE am.roleid = $1::oid OR am.member = $1::oid
  ORDER BY 1, 2`;

/** Objects in our schema owned by anyone but our role, and objects elsewhere owned by our role. */
const OWNERSHIP = `
  WITH owned(object_type, schema, object, owner) AS (
    SELECT 'schema', n.nspname, quote_ident(n.nspname), n.nspowner FROM pg_namespace n
    UNION ALL
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type' ELSE 'table' END,
           n.nspname, format('%I.%I', n.nspname, c.relname), c.relowner
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, n.nspname, p.oid::regprocedure::text, p.proowner
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    UNION ALL
    SELECT 'type', n.nspname, format_type(t.oid, NULL), t.typowner
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    -- arrays and row types follow their element and table
    WHERE t.typtype IN ('d', 'e', 'r', 'm', 'b') AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
  )
  SELECT o.object_type, o.schema, o.object, pg_get_userbyid(o.owner) AS owner,
         (o.schema <> $1 AND o.owner = $2::oid)
           OR (o.schema = $1 AND o.owner IN (SELECT nspowner FROM pg_namespace WHERE nspname <> $1 AND ${USER_SCHEMA('nspname')})) AS blocking
  FROM owned o
  WHERE ${USER_SCHEMA('o.schema')}
    AND ((o.schema = $1 AND o.owner IS DISTINCT FROM $2::oid) OR (o.schema <> $1 AND o.owner = $2::oid))
  ORDER BY 2, 1, 3`;

function emptyTies(options: DatabaseTiesOptions, status: DatabaseTies['status'], message?: string): DatabaseTies {
  return {
    status, url: safeUrl(options.url), schema: options.schema, role: options.role, ...(message ? { message } : {}),
    foreignKeys: [], dependencies: [], functionReferences: [], privileges: [], memberships: [], ownership: [], extensions: [],
  };
}

function safeUrl(url: string): string {
  try {
    return redactPassword(url);
  } catch {
    return '(an invalid URL)';
  }
}

/** One readable sentence for a failure to connect; never a stack trace. */
export function describeConnectionError(error: unknown, url: string): string {
  const code = (error as { code?: string } | null)?.code;
  let where = safeUrl(url);
  let database = '?';
  try {
    const parsed = new URL(url);
    where = `${parsed.hostname}:${parsed.port || '5432'}`;
    database = databaseName(url);
  } catch {
    // keep the redacted URL
  }
  switch (code) {
    case '3D000': return `database "${database}" does not exist on ${where} (npm run dev or npm run migrate creates and migrates it)`;
    case 'ECONNREFUSED': return `nothing answers at ${where} (is PostgreSQL running? set DATABASE_URL)`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot resolve the host of ${where}`;
    case 'ETIMEDOUT': return `no answer from ${where} in time`;
    case '28P01': case '28000': return `PostgreSQL at ${where} refused the credentials of DATABASE_URL`;
    default: {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return `cannot check the database at ${where}: ${message || code || 'unknown error'}`;
    }
  }
}

const quoteIdentifier = (name: string): string => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : pg.escapeIdentifier(name));

const direction = (ours: boolean): Direction => (ours ? 'outgoing' : 'incoming');

/**
 * @example await databaseTies({ url: config.DATABASE_URL, schema: 'orders', role: 'cm_orders' })
 */
export async function databaseTies(options: DatabaseTiesOptions): Promise<DatabaseTies> {
  const { schema } = options;
  const timeoutMs = options.timeoutMs ?? 3_000;
  let client: pg.Client;
  try {
    client = new pg.Client({
      connectionString: options.url, application_name: 'commerce-extraction-report',
      connectionTimeoutMillis: timeoutMs, statement_timeout: 10_000,
    });
  } catch (error) {
    return emptyTies(options, 'unreachable', describeConnectionError(error, options.url));
  }
  // A connection that breaks later emits 'error' on the client; the failing query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    return emptyTies(options, 'unreachable', describeConnectionError(error, options.url));
  }
  try {
    await client.query('BEGIN READ ONLY');
    const { rows: [found] } = await client.query<{ schema_exists: boolean; role_oid: string | null }>(
      'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists, (SELECT oid FROM pg_roles WHERE rolname = $2)::text AS role_oid',
      [schema, options.role],
    );
    if (!found?.schema_exists) {
      return emptyTies(options, 'no-schema', `schema "${schema}" does not exist in database "${databaseName(options.url)}" yet (not migrated: npm run migrate)`);
    }
    const roleOid = found.role_oid;
    const foreignKeys = await client.query<{ name: string; from_schema: string; from_table: string; to_schema: string; to_table: string; definition: string }>(FOREIGN_KEYS, [schema]);
    const dependencies = await client.query<{ dependent_schema: string; dependent: string; referenced_schema: string; referenced: string; extension: string | null }>(DEPENDENCIES, [schema]);
    const functions = await client.query<{ schema: string; function: string; mentions: string }>(FUNCTION_REFERENCES, [schema]);
    const privileges = await client.query<{
      direction: Direction; object_type: string; schema: string; object: string; grantee: string; privileges: string[]; revoke_prefix: string; revoke_on: string;
    }>(PRIVILEGES, [schema, roleOid]);
    const memberships = roleOid
      ? (await client.query<{ role: string; member: string; blocking: boolean }>(MEMBERSHIPS, [roleOid, schema])).rows
      : [];
    const ownership = await client.query<{ object_type: string; schema: string; object: string; owner: string; blocking: boolean }>(OWNERSHIP, [schema, roleOid]);
    await client.query('COMMIT');

    const extensions = new Map<string, ExtensionRequirement>();
    const dependencyTies: DependencyTie[] = [];
    for (const row of dependencies.rows) {
      if (row.extension && row.dependent_schema === schema) {
        const entry = extensions.get(row.extension) ?? { extension: row.extension, usedBy: [] };
        if (!entry.usedBy.includes(row.dependent)) entry.usedBy.push(row.dependent);
        extensions.set(row.extension, entry);
        continue;
      }
      dependencyTies.push({
        direction: direction(row.dependent_schema === schema),
        dependentSchema: row.dependent_schema, dependent: row.dependent, referencedSchema: row.referenced_schema, referenced: row.referenced,
      });
    }
    return {
      status: 'checked', url: safeUrl(options.url), schema, role: options.role,
      ...(roleOid ? {} : { message: `role "${options.role}" does not exist` }),
      foreignKeys: foreignKeys.rows.map((row): ForeignKeyTie => ({
        name: row.name, direction: direction(row.from_schema === schema),
        fromSchema: row.from_schema, fromTable: row.from_table, toSchema: row.to_schema, toTable: row.to_table, definition: row.definition,
      })),
      dependencies: dependencyTies,
      functionReferences: functions.rows.map((row): FunctionReferenceTie => ({
        direction: direction(row.schema === schema), schema: row.schema, function: row.function, mentions: row.mentions,
      })),
      privileges: privileges.rows.map((row): PrivilegeTie => ({
        direction: row.direction, grantee: row.grantee, objectType: row.object_type, schema: row.schema, object: row.object, privileges: row.privileges,
        revoke: `${row.revoke_prefix}REVOKE ${row.privileges.join(', ')} ${row.revoke_on} FROM ${row.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdentifier(row.grantee)}`,
      })),
      memberships: memberships.map((row): MembershipTie => ({ role: row.role, member: row.member, blocking: row.blocking })),
      ownership: ownership.rows.map((row): OwnershipTie => ({
        objectType: row.object_type, schema: row.schema, object: row.object, owner: row.owner, blocking: row.blocking,
      })),
      extensions: [...extensions.values()],
    };
  } catch (error) {
    return emptyTies(options, 'failed', describeConnectionError(error, options.url));
  } finally {
    await client.end().catch(() => undefined);
  }
}
