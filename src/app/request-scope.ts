import type { Context } from 'koa';
import type { ModuleContainer, ModuleKernel } from './module-definition.js';

/**
 * Resolves a module service from the request's own scope.
 * @example const accounts = fromScope<UserAccounts>(ctx, 'userAccounts')
 * @deprecated prefer {@link cradleOf}, which the compiler checks
 */
export function fromScope<T>(ctx: Context, name: string): T {
  return scopeOf(ctx, name).resolve<T>(name);
}

/**
 * The request scope's services, typed by the module's own cradle interface, so a renamed
 * registration fails to compile instead of failing at run time.
 * @example const { productCatalog } = cradleOf<ProductServices>(ctx)
 */
export function cradleOf<Services>(ctx: Context): Services & ModuleKernel {
  return scopeOf(ctx, 'cradle').cradle as Services & ModuleKernel;
}

function scopeOf(ctx: Context, wanted: string): ModuleContainer {
  const scope = ctx.state.scope as ModuleContainer | undefined;
  if (!scope) throw new Error(`No module scope on this request while resolving "${wanted}"`);
  return scope;
}
