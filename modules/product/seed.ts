import type { ModuleContainer, SeedOptions } from '../../src/app/module-definition.js';
import { isProblem } from '../../src/http/problem.js';
import type { NewProductInput } from './catalogue-admin.js';
import { productCradleOf } from './product-services.js';

/** A small shop to click through in development; the SKU keeps each one to a single product. */
export const DEMO_PRODUCTS: readonly NewProductInput[] = [
  { sku: 'KB-MECH-01', name: 'Mechanical keyboard', description: 'Tenkeyless keyboard with tactile switches and a detachable USB-C cable.', priceCents: 8_900, currency: 'EUR', stock: 25 },
  { sku: 'MOUSE-ERGO-01', name: 'Ergonomic mouse', description: 'Vertical wireless mouse that keeps the wrist in a handshake position.', priceCents: 4_900, currency: 'EUR', stock: 40 },
  { sku: 'DESK-LAMP-01', name: 'LED desk lamp', description: 'Dimmable lamp with adjustable colour temperature for long evenings at the keyboard.', priceCents: 3_500, currency: 'EUR', stock: 15 },
  { sku: 'MUG-COFFEE-01', name: 'Coffee mug', description: 'Stoneware mug, 350 ml, keeps the coffee warm through a code review.', priceCents: 1_200, currency: 'EUR', stock: 100 },
  { sku: 'HEADSET-01', name: 'Noise-cancelling headset', description: 'Over-ear headset with a boom microphone for calls in an open office.', priceCents: 12_900, currency: 'EUR', stock: 8 },
  { sku: 'STAND-LAPTOP-01', name: 'Laptop stand', description: 'Aluminium stand that lifts the screen to eye level; folds flat.', priceCents: 2_900, currency: 'EUR', stock: 0 },
];

/** Demo products on request only; a second run finds their SKUs taken and adds nothing. */
export async function seedProducts(container: ModuleContainer, options: SeedOptions): Promise<void> {
  if (!options.demoData) return;
  const { catalogueAdmin, log } = productCradleOf(container);
  let created = 0;
  for (const product of DEMO_PRODUCTS) {
    try {
      await catalogueAdmin.create(product);
      created += 1;
    } catch (error) {
      if (!(isProblem(error) && error.code === 'sku-already-exists')) throw error;
    }
  }
  if (created > 0) log.info({ created }, 'seeded demo products');
}
