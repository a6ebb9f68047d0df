import { fileURLToPath } from 'node:url';
import { asClass } from 'awilix';
import { defineModule, type ModuleContainer } from '../../src/app/module-definition.js';
import { provideFacade } from '../../src/app/module-facades.js';
import { CatalogueAdmin } from './catalogue-admin.js';
import { CatalogueSearch } from './catalogue-search.js';
import { InventoryChanged, ProductCatalogApi, ProductCreated, ProductUpdated } from './contract.js';
import { productRoutes } from './http.js';
import { InventoryBatch } from './inventory-batch.js';
import { InventoryLedger } from './inventory-ledger.js';
import { LocalProductCatalog } from './product-catalog.js';
import { ProductRepository } from './repository.js';
import { ReservationRepository } from './reservation-repository.js';
import { seedProducts } from './seed.js';
import { productCradleOf, type ProductRegistrations } from './product-services.js';

export * from './contract.js';

/** The catalogue, its full-text search and the inventory behind it. Owns schema `products`. */
export const productModule = defineModule({
  name: 'product',
  schema: 'products',
  migrations: fileURLToPath(new URL('../../migrations/products/', import.meta.url)),
  routePrefixes: ['/api/v1/products'],
  publishes: [ProductCreated, ProductUpdated, InventoryChanged],
  register(container) {
    container.register({
      productRepository: asClass(ProductRepository).singleton(),
      reservationRepository: asClass(ReservationRepository).singleton(),
      catalogueAdmin: asClass(CatalogueAdmin).singleton(),
      catalogueSearch: asClass(CatalogueSearch).singleton(),
      inventoryBatch: asClass(InventoryBatch).singleton(),
      // One ledger per process: its batching only works if every caller shares it.
      inventoryLedger: asClass(InventoryLedger).singleton(),
      productCatalog: asClass(LocalProductCatalog).singleton(),
    } satisfies ProductRegistrations);
  },
  facade: provideFacade(ProductCatalogApi, (container: ModuleContainer) => productCradleOf(container).productCatalog),
  routes: productRoutes,
  seed: seedProducts,
});
