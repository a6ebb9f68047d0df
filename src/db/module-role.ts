import { createHmac } from 'node:crypto';

/** The PostgreSQL login role and schema that one module (or the platform) owns. */
export interface SchemaOwner {
  schema: string;
  role: string;
  password: string;
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Role names are derived, not configured, so every process of a deployment agrees on them;
 * passwords are derived from one secret so nobody has to distribute one per module.
 * @example schemaOwner('users', { prefix: 'cm_', secret }) // → { schema: 'users', role: 'cm_users', … }
 */
export function schemaOwner(schema: string, settings: { prefix: string; secret: string }): SchemaOwner {
  const role = `${settings.prefix}${schema}`;
  for (const identifier of [schema, role]) {
    if (!IDENTIFIER.test(identifier)) throw new Error(`"${identifier}" is not a safe PostgreSQL identifier`);
  }
  const password = createHmac('sha256', settings.secret).update(`role:${role}`).digest('base64url');
  return { schema, role, password };
}
