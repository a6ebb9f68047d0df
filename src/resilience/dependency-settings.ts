import { z } from 'zod';

/** How calls to one dependency are guarded. */
export interface DependencySettings {
  /** longest wait for one attempt; a caller's earlier deadline cuts it shorter */
  timeoutMs: number;
  /** calls in all for an idempotent call, the first included; others are made once */
  attempts: number;
  /** the pause before a retry grows from `initialMs` towards `maxMs`, with jitter */
  backoff: { initialMs: number; maxMs: number };
  /** the circuit opens after `consecutiveFailures`, and lets one trial call through `halfOpenAfterMs` later */
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** calls running at once, and calls waiting for a slot; any more are refused with 503 */
  bulkhead: { concurrency: number; queue: number };
}

/**
 * Sized for HTTP calls between our own services on a local network: an answer normally takes
 * milliseconds, so 5 s is already very slow, and a short backoff keeps a retried call well
 * inside a client's patience.
 */
export const DEFAULT_DEPENDENCY_SETTINGS: Readonly<DependencySettings> = Object.freeze({
  timeoutMs: 5_000,
  attempts: 3,
  backoff: Object.freeze({ initialMs: 50, maxMs: 1_000 }),
  breaker: Object.freeze({ consecutiveFailures: 5, halfOpenAfterMs: 5_000 }),
  bulkhead: Object.freeze({ concurrency: 200, queue: 1_000 }),
});

/** Dependency names become metric labels and log fields: short, plain, and chosen in code. */
export const DEPENDENCY_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** Says which names are not dependency names, for a configuration error that names them. */
export function misnamedDependencies(names: readonly string[]): string | undefined {
  const bad = names.filter((name) => !DEPENDENCY_NAME.test(name));
  if (bad.length === 0) return undefined;
  return `${bad.map((name) => JSON.stringify(name)).join(', ')}: a dependency name is letters, digits, ".", ":", "_" or "-" (at most 100)`;
}

const count = (min: number, max: number) => z.number().int().min(min).max(max);
const DependencySettingsOverride = z.strictObject({
  timeoutMs: count(1, 300_000).optional(),
  attempts: count(1, 10).optional(),
  backoff: z.strictObject({ initialMs: count(0, 60_000).optional(), maxMs: count(0, 300_000).optional() }).optional(),
  breaker: z.strictObject({ consecutiveFailures: count(1, 10_000).optional(), halfOpenAfterMs: count(1, 3_600_000).optional() }).optional(),
  bulkhead: z.strictObject({ concurrency: count(1, 100_000).optional(), queue: count(0, 1_000_000).optional() }).optional(),
});
export type DependencySettingsOverride = z.infer<typeof DependencySettingsOverride>;

// Keys are checked by misnamedDependencies first: zod only says "Invalid key in record".
const ResilienceDocument = z.record(z.string(), DependencySettingsOverride);

/** `default` overrides the built-in defaults for every dependency; a dependency's own entry overrides both. */
export interface ResilienceSettings {
  readonly defaults: DependencySettings;
  readonly overrides: Readonly<Record<string, DependencySettingsOverride>>;
}

export const DEFAULT_RESILIENCE_SETTINGS: ResilienceSettings = { defaults: DEFAULT_DEPENDENCY_SETTINGS, overrides: {} };

function merge(base: DependencySettings, override: DependencySettingsOverride): DependencySettings {
  return {
    timeoutMs: override.timeoutMs ?? base.timeoutMs,
    attempts: override.attempts ?? base.attempts,
    backoff: { ...base.backoff, ...override.backoff },
    breaker: { ...base.breaker, ...override.breaker },
    bulkhead: { ...base.bulkhead, ...override.bulkhead },
  };
}

/** The settings of `dependency`: built-in defaults, then `default`, then its own entry. */
export function settingsFor(settings: ResilienceSettings, dependency: string): DependencySettings {
  const own = Object.hasOwn(settings.overrides, dependency) ? settings.overrides[dependency] : undefined;
  return own ? merge(settings.defaults, own) : settings.defaults;
}

function fail(message: string): never {
  throw new Error(`RESILIENCE is not valid: ${message}`);
}

/**
 * Parses the `RESILIENCE` variable: JSON such as
 * `{"default":{"timeoutMs":2000},"payment":{"attempts":1,"breaker":{"consecutiveFailures":3}}}`.
 * Absent or blank means the defaults. Fails the start with a message naming the bad field.
 */
export function parseResilienceSettings(text: string | undefined): ResilienceSettings {
  if (text === undefined || text.trim() === '') return DEFAULT_RESILIENCE_SETTINGS;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`not JSON (${(error as Error).message}); expected {"default": {...}, "<dependency>": {...}}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('expected an object {"default": {...}, "<dependency>": {...}}');
  const misnamed = misnamedDependencies(Object.keys(json));
  if (misnamed) fail(misnamed);
  const parsed = ResilienceDocument.safeParse(json);
  if (!parsed.success) {
    fail(parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(top)'}: ${issue.message}`).join('; '));
  }
  const { default: shared, ...overrides } = parsed.data;
  const settings: ResilienceSettings = { defaults: merge(DEFAULT_DEPENDENCY_SETTINGS, shared ?? {}), overrides };
  // Fields are checked one by one above; how they combine is checked on what each dependency gets.
  for (const name of ['default', ...Object.keys(overrides)]) {
    const { backoff } = settingsFor(settings, name);
    if (backoff.maxMs < backoff.initialMs) fail(`${name}.backoff: maxMs (${backoff.maxMs}) is below initialMs (${backoff.initialMs})`);
  }
  return settings;
}
