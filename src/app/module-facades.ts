/**
 * Synchronous calls between modules go through a facade: the small, named API a module
 * offers others (`reserveInventory`, `cancelPayment`). A caller holds a typed key, never
 * the other module's classes, so the same call can later be served by an HTTP client
 * when the callee runs as an extracted service.
 */
export interface FacadeKey<T> {
  readonly module: string;
  /** carries the facade's type only; never set */
  readonly facade?: T;
}

/**
 * Declares, in a module's contract, the key others use to reach its facade.
 * @example export const ProductCatalogApi = facadeKey<ProductCatalog>('product')
 */
export function facadeKey<T>(module: string): FacadeKey<T> {
  return { module };
}

/** What a module's container offers as `facades`: the other modules' public APIs. */
export interface ModuleFacades {
  get<T>(key: FacadeKey<T>): T;
}

export class ModuleNotHosted extends Error {
  override readonly name = 'ModuleNotHosted';
}

/**
 * Resolves facades from the modules hosted in this process, lazily, so modules may
 * be built in any order.
 * @example const facades = new LocalFacades(new Map([['product', () => catalog]]))
 */
export class LocalFacades implements ModuleFacades {
  constructor(private readonly providers: ReadonlyMap<string, () => unknown>) {}

  get<T>(key: FacadeKey<T>): T {
    const provide = this.providers.get(key.module);
    if (!provide) throw new ModuleNotHosted(`the ${key.module} module is not hosted in this process and offers no facade here`);
    return provide() as T;
  }
}
