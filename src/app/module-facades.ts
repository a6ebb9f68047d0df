/**
 * Synchronous calls between modules go through a facade: the small, named API a module
 * offers others (`reserveInventory`, `cancelPayment`). A caller holds a typed key, never
 * the other module's classes, so the same call is served in-process when the callee is
 * hosted here and by an HTTP client with the same interface when it runs elsewhere.
 *
 * Every facade method takes one JSON argument and answers JSON (or nothing), and is safe
 * to repeat: that is what lets a remote call be retried.
 */
export interface FacadeKey<T> {
  readonly module: string;
  /** the methods callers may use: all the facade offers, and what its HTTP endpoint serves */
  readonly methods: readonly string[];
  /** carries the facade's type only; never set */
  readonly facade?: T;
}

/**
 * Declares, in a module's contract, the key others use to reach its facade. Naming every
 * method (the compiler insists on all of them) is what lets a remote client and the
 * endpoint that serves it know the facade without reflection.
 * @example export const ProductCatalogApi = facadeKey<ProductCatalog>('product', { priceItems: true, … })
 */
export function facadeKey<T>(module: string, methods: { readonly [K in keyof T]-?: true }): FacadeKey<T> {
  return { module, methods: Object.keys(methods) };
}

/** A manifest's facade: builds it from the module's container, and names its key. */
export interface FacadeProvider<C = never> {
  (container: C): object;
  readonly key: FacadeKey<object>;
}

/**
 * Ties a module's facade to its key, so the compiler checks it implements the contract.
 * @example facade: provideFacade(ProductCatalogApi, (container) => productCradleOf(container).productCatalog)
 */
export function provideFacade<T extends object, C>(key: FacadeKey<T>, build: (container: C) => T): FacadeProvider<C> {
  return Object.assign((container: C) => build(container), { key: key as FacadeKey<object> });
}

/** What a module's container offers as `facades`: the other modules' public APIs. */
export interface ModuleFacades {
  get<T>(key: FacadeKey<T>): T;
}

export class ModuleNotHosted extends Error {
  override readonly name = 'ModuleNotHosted';
}

/** Builds the stand-in for a module that runs in another process. */
export type RemoteFacadeFactory = <T>(key: FacadeKey<T>) => T;

/**
 * Resolves facades from the modules hosted in this process, lazily, so modules may be
 * built in any order; a module hosted elsewhere gets a remote client (built once), when
 * the process knows how to reach others.
 * @example const facades = new Facades(new Map([['product', () => catalog]]), remoteFacade)
 */
export class Facades implements ModuleFacades {
  private readonly remote = new Map<string, unknown>();

  constructor(private readonly providers: ReadonlyMap<string, () => unknown>, private readonly remoteFacade?: RemoteFacadeFactory) {}

  get<T>(key: FacadeKey<T>): T {
    const provide = this.providers.get(key.module);
    if (provide) return provide() as T;
    if (!this.remoteFacade) throw new ModuleNotHosted(`the ${key.module} module is not hosted in this process and offers no facade here`);
    let client = this.remote.get(key.module);
    if (!client) this.remote.set(key.module, (client = this.remoteFacade(key)));
    return client as T;
  }
}
