import { expect, it } from 'vitest';
import { ModulePrefixes } from './module-prefixes.js';

const prefixes = new ModulePrefixes([
  { module: 'payment', prefixes: ['/api/v1/payment-methods', '/api/v1/payments'] },
  { module: 'order', prefixes: ['/api/v1/orders'] },
]);

it('finds the module that owns a path by whole segments', () => {
  expect(prefixes.moduleOf('/api/v1/orders')).toBe('order');
  expect(prefixes.moduleOf('/api/v1/orders/7/history')).toBe('order');
  expect(prefixes.moduleOf('/api/v1/orders?limit=5')).toBe('order');
  expect(prefixes.moduleOf('/api/v1/payment-methods/1')).toBe('payment');
  expect(prefixes.moduleOf('/api/v1/payments')).toBe('payment');
  expect(prefixes.moduleOf('/api/v1/ordersx')).toBeUndefined();
  expect(prefixes.moduleOf('/admin/routes')).toBeUndefined();
});
