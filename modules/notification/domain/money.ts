interface CurrencyFormat {
  format: Intl.NumberFormat;
  /** the currency's minor-unit digits (2 for EUR, 0 for JPY) */
  decimals: number;
}

/** Building a NumberFormat, and asking it for its options, costs far more than using one: one per currency, kept. */
const formats = new Map<string, CurrencyFormat | null>();

function formatFor(currency: string): CurrencyFormat | null {
  let entry = formats.get(currency);
  if (entry === undefined) {
    try {
      const format = new Intl.NumberFormat('en', { style: 'currency', currency });
      entry = { format, decimals: format.resolvedOptions().maximumFractionDigits ?? 2 };
    } catch {
      entry = null;
    }
    formats.set(currency, entry);
  }
  return entry;
}

/**
 * An amount in minor units (cents) as a customer reads it, e.g. `formatMoney(1999, 'EUR')` → `€19.99`.
 * The currency's own number of decimals decides the scale (JPY has none), so amounts in
 * minor units stay right for every currency Intl knows.
 */
export function formatMoney(minorUnits: number, currency: string): string {
  const entry = formatFor(currency);
  // An unknown code must not lose the message: show the number and the code as given.
  if (!entry) return `${(minorUnits / 100).toFixed(2)} ${currency}`;
  return entry.format.format(minorUnits / 10 ** entry.decimals);
}
