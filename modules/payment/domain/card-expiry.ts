/** A card is valid through the last day of its expiry month (in UTC, as issuers count it). */
export function isExpired(expiry: { expMonth: number; expYear: number }, now: Date): boolean {
  const currentYear = now.getUTCFullYear();
  const currentMonth = now.getUTCMonth() + 1;
  return expiry.expYear < currentYear || (expiry.expYear === currentYear && expiry.expMonth < currentMonth);
}
