/**
 * SQL/JSON path matching any value, at any depth, equal to `$key` — how an operator's
 * business key (an order id inside a payment event, say) is found in event data.
 * Passed as a bound value: a literal `?` in the SQL text would read as a placeholder.
 */
export const ANY_VALUE_EQUALS_KEY = '$.** ? (@ == $key)';
