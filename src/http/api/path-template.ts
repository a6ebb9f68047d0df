const KOA_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * The OpenAPI form of a Koa route path: `:name` becomes `{name}`.
 * @example openApiPath('/api/v1/orders/:id/history') // '/api/v1/orders/{id}/history'
 */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(KOA_PARAM, '{$1}');
}

/**
 * The names of a Koa route path's parameters, in order.
 * @example pathParameters('/admin/sagas/:id/retry') // ['id']
 */
export function pathParameters(koaPath: string): string[] {
  return [...koaPath.matchAll(KOA_PARAM)].map((match) => match[1]!);
}
