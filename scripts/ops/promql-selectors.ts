/** One series selector of a PromQL expression: the metric it reads and the labels the query relies on. */
export interface Selector {
  metric: string;
  /** labels in its matchers, plus those the expression groups by (attributed to every selector of it) */
  labels: string[];
}

// Words of the language that look like metric names; a name followed by `(` is a function or an
// aggregation, and so is one followed by a grouping (`sum by (module) (…)`).
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\{[^}]*\}|\[[^\]]*\]|\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|[a-zA-Z_:][\w:]*|\(|\)|[^\s]/g;
const LABEL_IN_MATCHERS = /([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g;

/**
 * Grafana's variables replaced by values PromQL accepts, so a dashboard query reads as PromQL:
 * the interval variables become durations, any other variable an arbitrary word (they only
 * ever stand inside label values here).
 */
export function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$__(?:rate_interval|interval|range)\b/g, '5m').replace(/\$\{?\w+\}?/g, 'any');
}

/**
 * The metrics an expression reads, without a full PromQL parser (none is installed): enough
 * to check that a dashboard names metrics and labels the app exposes. It does not validate
 * syntax; `promtool check rules` does where it is installed.
 * @example selectorsOf('sum by (module) (rate(http_requests_total{status=~"5.."}[5m]))')
 * // [{ metric: 'http_requests_total', labels: ['status', 'module'] }]
 */
export function selectorsOf(expr: string): Selector[] {
  const tokens = [...withoutGrafanaVariables(expr).matchAll(TOKEN)].map((match) => match[0]);
  const found: { metric: string; labels: string[] }[] = [];
  const grouped: string[] = [];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i]!;
    if (!/^[a-zA-Z_:]/.test(token)) continue;
    if (GROUPING.has(token) && tokens[i + 1] === '(') {
      // `by (a, b)`: the labels up to the closing parenthesis.
      for (i += 2; i < tokens.length && tokens[i] !== ')'; i += 1) if (/^[a-zA-Z_]/.test(tokens[i]!)) grouped.push(tokens[i]!);
      continue;
    }
    if (KEYWORDS.has(token) || tokens[i + 1] === '(' || tokens[i + 1] === 'by' || tokens[i + 1] === 'without') continue;
    const matchers = tokens[i + 1]?.startsWith('{') ? tokens[i + 1]! : '';
    found.push({ metric: token, labels: [...matchers.matchAll(LABEL_IN_MATCHERS)].map((match) => match[1]!) });
  }
  return found.map(({ metric, labels }) => ({ metric, labels: [...new Set([...labels, ...grouped])] }));
}
