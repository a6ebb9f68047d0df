import type { Middleware, Context } from 'koa';
import type { AccessTokens, Principal, Role } from '../security/access-tokens.js';
import { InvalidAccessToken } from '../security/access-tokens.js';
import { Forbidden, Unauthenticated } from './problem.js';

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="commerce"' };

/** Route guards built once from the token service; handlers read `principalOf(ctx)`. */
export interface Guards {
  requireUser: Middleware;
  requireRole(role: Role): Middleware;
}

export function createGuards(tokens: AccessTokens): Guards {
  const authenticate = async (ctx: Context): Promise<Principal> => {
    const header = ctx.get('authorization');
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!match?.[1]) throw Unauthenticated('Send an access token as "Authorization: Bearer <token>"', undefined, CHALLENGE);
    try {
      const principal = await tokens.verify(match[1]);
      ctx.state.principal = principal;
      return principal;
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw Unauthenticated(error.message, undefined, CHALLENGE);
      throw error;
    }
  };
  return {
    requireUser: async (ctx, next) => {
      await authenticate(ctx);
      await next();
    },
    requireRole: (role) => async (ctx, next) => {
      const principal = await authenticate(ctx);
      if (principal.role !== role) throw Forbidden(`This operation needs the ${role} role`);
      await next();
    },
  };
}

/** The authenticated caller; only valid behind a guard. */
export function principalOf(ctx: Context): Principal {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw Unauthenticated();
  return principal;
}
