import type { Context } from 'koa';
import type { ModuleContainer } from './module-definition.js';

/**
 * Resolves a module service from the request's own scope.
 * @example const accounts = fromScope<UserAccounts>(ctx, 'userAccounts')
 */
export function fromScope<T>(ctx: Context, name: string): T {
  const scope = ctx.state.scope as ModuleContainer | undefined;
  if (!scope) throw new Error(`No module scope on this request while resolving "${name}"`);
  return scope.resolve<T>(name);
}
