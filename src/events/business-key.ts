/** SQL/JSON path matching any value, at any depth, equal to `$key`. */
const ANY_VALUE_EQUALS_KEY = '$.** ? (@ == $key)';

/**
 * The one rule for "this row belongs to an operator's business key": its event id,
 * aggregate or correlation id, or any value inside its event data (an order id inside a
 * payment event, say). The path is bound as a value: a literal `?` would read as a placeholder.
 * @example const match = businessKeyMatch("envelope -> 'data'", key); db.raw(`SELECT … WHERE ${match.sql}`, match.bindings)
 */
export function businessKeyMatch(dataExpression: string, key: string): { sql: string; bindings: string[] } {
  return {
    sql: `(event_id::text = ? OR aggregate_id = ? OR correlation_id = ?
           OR jsonb_path_exists(${dataExpression}, ?::jsonpath, jsonb_build_object('key', ?::text)))`,
    bindings: [key, key, key, ANY_VALUE_EQUALS_KEY, key],
  };
}
