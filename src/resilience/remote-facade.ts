import type { FacadeKey } from '../app/module-facades.js';
import type { ModuleCaller } from './module-caller.js';

/**
 * A facade of a module that runs elsewhere, with the same interface as the in-process one:
 * each method becomes one call through the module caller.
 * @example const catalog = remoteFacade(ProductCatalogApi, caller); await catalog.reserveInventory({ … })
 */
export function remoteFacade<T>(key: FacadeKey<T>, caller: ModuleCaller): T {
  const methods = key.methods.map((method) => [method, (argument: unknown) => caller.call(key.module, method, argument)] as const);
  return Object.fromEntries(methods) as T;
}
