import type { Resolver } from 'awilix';
import type { ModuleContainer, ModuleKernel } from '../../src/app/module-definition.js';
import type { CatalogueAdmin } from './catalogue-admin.js';
import type { CatalogueSearch } from './catalogue-search.js';
import type { InventoryBatch } from './inventory-batch.js';
import type { InventoryLedger } from './inventory-ledger.js';
import type { LocalProductCatalog } from './product-catalog.js';
import type { ProductRepository } from './repository.js';
import type { ReservationRepository } from './reservation-repository.js';

/** The product module's private services, under the names they are registered by (declared once, here). */
export interface ProductServices {
  productRepository: ProductRepository;
  reservationRepository: ReservationRepository;
  catalogueAdmin: CatalogueAdmin;
  catalogueSearch: CatalogueSearch;
  inventoryBatch: InventoryBatch;
  inventoryLedger: InventoryLedger;
  productCatalog: LocalProductCatalog;
}

/** Everything a product service can be given: the kernel's services and the module's own. */
export type ProductCradle = ModuleKernel & ProductServices;

/** Exactly one resolver per service: a renamed, missing or extra registration fails to compile. */
export type ProductRegistrations = { [Name in keyof ProductServices]: Resolver<ProductServices[Name]> };

/**
 * The module container seen through its cradle type, for code outside a request (facade, seed).
 * @example productCradleOf(container).productCatalog
 */
export function productCradleOf(container: ModuleContainer): ProductCradle {
  // Sound because index.ts registers exactly `ProductRegistrations`; the container type cannot know that.
  return container.cradle as unknown as ProductCradle;
}
