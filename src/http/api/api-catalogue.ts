import type { DocumentedOperation } from './operation.js';

/**
 * Every operation a process serves, as recorded by its ApiRoutes, and the descriptions of
 * their tags: the input of the OpenAPI document.
 */
export class ApiCatalogue {
  readonly operations: DocumentedOperation[] = [];
  readonly tags = new Map<string, string>();

  /** @example catalogue.describeTag('orders', 'Placing, reading and cancelling orders') */
  describeTag(name: string, description: string): void {
    this.tags.set(name, description);
  }

  /** Refuses a second operation with the same id, or the same method and path. */
  add(operation: DocumentedOperation): void {
    const clash = this.operations.find((known) => known.operationId === operation.operationId || (known.method === operation.method && known.path === operation.path));
    if (clash) throw new Error(`${operation.operationId}: clashes with ${clash.operationId} (${clash.method.toUpperCase()} ${clash.path})`);
    this.operations.push(operation);
  }
}
