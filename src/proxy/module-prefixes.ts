/**
 * Finds the module that owns a request path from the modules' route prefixes, longest
 * first, matching whole path segments only (`/api/v1/orders` owns `/api/v1/orders/7`, not
 * `/api/v1/ordersx`).
 * @example new ModulePrefixes([{ module: 'order', prefixes: ['/api/v1/orders'] }]).moduleOf('/api/v1/orders?x=1')
 */
export class ModulePrefixes {
  private readonly entries: { prefix: string; module: string }[];

  constructor(modules: readonly { module: string; prefixes: readonly string[] }[]) {
    this.entries = modules
      .flatMap(({ module, prefixes }) => prefixes.map((prefix) => ({ prefix, module })))
      .sort((a, b) => b.prefix.length - a.prefix.length);
  }

  moduleOf(url: string): string | undefined {
    for (const { prefix, module } of this.entries) {
      if (!url.startsWith(prefix)) continue;
      const next = url.charCodeAt(prefix.length);
      // end of the URL, '/', '?' or '#'
      if (Number.isNaN(next) || next === 47 || next === 63 || next === 35) return module;
    }
    return undefined;
  }
}
