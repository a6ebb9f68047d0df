// Any RFC 4122 layout; PostgreSQL would reject anything else with an error, not with "no such product".
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a string can name a product at all; one that cannot is simply not found.
 * @example isProductId('not-a-uuid') // → false
 */
export function isProductId(text: string): boolean {
  return UUID.test(text);
}

/**
 * One SKU however it was typed: trimmed and upper-cased before it is stored or compared.
 * @example normalizeSku(' kb-001 ') // → 'KB-001'
 */
export function normalizeSku(sku: string): string {
  return sku.trim().toUpperCase();
}
