/** Building a NumberFormat costs far more than using one: one per currency, kept. */
const formats = new Map<string, Intl.NumberFormat | null>();

function formatFor(currency: string): Intl.NumberFormat | null {
  let format = formats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat('en', { style: 'currency', currency });
    } catch {
      format = null;
    }
    formats.set(currency, format);
  }
  return format;
}

/**
 * An amount in minor units (cents) as a customer reads it, e.g. `formatMoney(1999, 'EUR')` → `€19.99`.
 * The currency's own number of decimals decides the scale (JPY has none), so amounts in
 * minor units stay right for every currency Intl knows.
 */
export function formatMoney(minorUnits: number, currency: string): string {
  const format = formatFor(currency);
  // An unknown code must not lose the message: show the number and the code as given.
  if (!format) return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  const decimals = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** decimals);
}
