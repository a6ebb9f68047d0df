import { z } from 'zod';
import { parseResilienceSettings } from '../resilience/dependency-settings.js';
import { FaultInjector } from '../resilience/fault-injection.js';
import { parseRedisUrl } from './redis-url.js';

/** Dev-only defaults: production refuses to start while any of these is still in use. */
export const DEV_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789',
  INTERNAL_TOKEN_SECRET: 'dev-only-internal-secret-change-me-0123',
  DATABASE_ROLE_SECRET: 'dev-only-database-role-secret-change-me',
  ADMIN_PASSWORD: 'admin-dev-password',
  // `<key id>:<32 bytes in base64>`; a comma-separated list keeps old keys readable, the first encrypts.
  PAYMENT_ENCRYPTION_KEY: 'dev-1:ZGV2LW9ubHktcGF5bWVudC1rZXktY2hhbmdlLW1lISE=',
} as const;

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const secret = (name: keyof typeof DEV_SECRETS) =>
  z.string().min(32, `${name} must be at least 32 characters`).default(DEV_SECRETS[name]);

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  /** trust X-Forwarded-* (only behind a proxy you run); login limits key on the client address */
  TRUST_PROXY: booleanFromEnv.default(false),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/commerce'),
  DATABASE_ROLE_PREFIX: z.string().regex(/^[a-z][a-z0-9_]{0,20}$/, 'lowercase letters, digits and _ only').default('cm_'),
  DATABASE_ROLE_SECRET: z.string().min(16).default(DEV_SECRETS.DATABASE_ROLE_SECRET),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  /** one server (redis://, rediss://) or a Redis Cluster by some of its nodes (redis+cluster://host:port,host:port…); see docs/redis-cluster.md */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').superRefine((value, ctx) => {
    try {
      parseRedisUrl(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  // No braces: the first {…} of a key is its Redis Cluster hash tag, and the queue names carry their own.
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_:-]{1,40}$/).default('cm'),
  MODULES: z.string().default('all'),
  ADMIN_EMAIL: z.email().default('admin@example.com'),
  ADMIN_PASSWORD: z.string().min(8).default(DEV_SECRETS.ADMIN_PASSWORD),
  SEED_DEMO_DATA: booleanFromEnv.optional(),
  JWT_SECRET: secret('JWT_SECRET'),
  JWT_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  INTERNAL_TOKEN_SECRET: secret('INTERNAL_TOKEN_SECRET'),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'a size such as 100kb').default('100kb'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  RELAY_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  // Kept short: the re-poll after a batch also marks it published, and commits meanwhile do not notify.
  RELAY_BUSY_POLL_MS: z.coerce.number().int().min(1).max(100).default(3),
  RELAY_LEASE_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  RELAY_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  OUTBOX_RETENTION_HOURS: z.coerce.number().min(0).max(24 * 90).default(24),
  /**
   * `local-first`: a relay hands each event straight to the consumers running in its own
   * process and queues it only for consumers elsewhere or when a local delivery fails.
   * `queue`: every delivery is a BullMQ job, wherever its consumer runs.
   */
  EVENT_DELIVERY: z.enum(['local-first', 'queue']).default('local-first'),
  CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(50),
  /** how long a consumer's job stays claimed without a sign of life before another worker takes it back */
  CONSUMER_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
  CONSUMER_BATCH_SIZE: z.coerce.number().int().min(1).max(500).default(50),
  // One transaction at a time per consuming module: deliveries arriving meanwhile join the next
  // one. Overlapping transactions under moderate load only multiply commits and round trips,
  // which on a small machine shows up as tail latency (see the README's benchmark notes).
  CONSUMER_TRANSACTIONS: z.coerce.number().int().min(1).max(50).default(1),
  EVENT_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  EVENT_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(500),
  DEAD_LETTER_REDRIVES: z.coerce.number().int().min(0).max(20).default(3),
  DEAD_LETTER_REDRIVE_DELAY_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  DEAD_LETTER_SCAN_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** outgoing mail, e.g. smtp://127.0.0.1:1025; without it messages are captured in the database only */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }).optional(),
  MAIL_FROM: z.string().min(3).default('Commerce <no-reply@commerce.local>'),
  PAYMENT_ENCRYPTION_KEY: z.string().regex(/^[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_.-]{1,32}:[A-Za-z0-9+/]{43}=)*$/, '<key id>:<32 bytes base64>[,<older key id>:<key>…]').default(DEV_SECRETS.PAYMENT_ENCRYPTION_KEY),
  /** how long the sandbox gateway takes for its "slow" test card */
  SANDBOX_SLOW_MS: z.coerce.number().int().min(0).max(600_000).default(15_000),
  PAYMENT_GATEWAY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  PAYMENT_GATEWAY_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(4),
  /** how long an order waits for the payment outcome before it is compensated */
  ORDER_PAYMENT_DEADLINE_MS: z.coerce.number().int().min(100).max(86_400_000).default(30_000),
  SAGA_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(50),
  /** checkpoint transactions in flight per module; sagas ready meanwhile share the next one */
  SAGA_TRANSACTIONS: z.coerce.number().int().min(1).max(50).default(2),
  SAGA_STEP_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  SAGA_COMPENSATION_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(5),
  SAGA_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(200),
  /** a saga whose worker stopped answering for this long is taken over by another */
  SAGA_LEASE_MS: z.coerce.number().int().min(500).max(600_000).default(15_000),
  SAGA_SWEEP_MS: z.coerce.number().int().min(50).max(600_000).default(2_000),
  /** who this process is, in `x-served-by`, service tokens and the registry: `monolith`, `order-service` … */
  SERVICE_NAME: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/).default('monolith'),
  /** the address others reach this process at (default: http://127.0.0.1:<PORT> when listening on every interface) */
  ADVERTISED_URL: z.url({ protocol: /^https?$/ }).optional(),
  SERVICE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3_600).default(60),
  /** how often every instance re-reads the route table: a route change applies everywhere within this */
  ROUTE_REFRESH_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  REGISTRY_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  /** an instance not heard from for this long is no longer sent anything */
  REGISTRY_TTL_MS: z.coerce.number().int().min(300).max(600_000).default(5_000),
  /** consecutive failures after which an instance is left out for OUTLIER_EJECTION_MS */
  OUTLIER_FAILURES: z.coerce.number().int().min(1).max(100).default(3),
  OUTLIER_EJECTION_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** keep-alive connections per upstream instance, shared by the proxy and module clients */
  UPSTREAM_CONNECTIONS: z.coerce.number().int().min(1).max(1_024).default(64),
  /** the deadline a proxied request gets (its upstream receives what is left of it) */
  PROXY_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** per-dependency resilience settings as JSON, e.g. {"default":{"timeoutMs":5000},"proxy.order":{"attempts":2}} */
  RESILIENCE: z.string().optional(),
  /** opt-in fault injection for chaos runs, JSON per dependency, e.g. {"proxy.order":{"abortRatio":0.1}} */
  FAULT_INJECTION: z.string().optional(),
  /** singleton work (outbox pruning, dead-letter re-drives) runs on one instance: a follower tries to take the lead this often */
  SINGLETON_RETRY_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  OUTBOX_PRUNE_MS: z.coerce.number().int().min(100).max(86_400_000).default(60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: booleanFromEnv.default(false),
});

export type Config = z.infer<typeof ConfigSchema> & {
  /** `<MODULE>_DATABASE_URL` by module name: a module whose data moved to a database of its own */
  MODULE_DATABASE_URLS: Readonly<Record<string, string>>;
};

const MODULE_DATABASE_URL = /^([A-Z][A-Z0-9]*)_DATABASE_URL$/;
const DatabaseUrl = z.url({ protocol: /^postgres(ql)?$/ });

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates the configuration once, at the composition root.
 * @example const config = loadConfig(process.env)
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable means "not set", which is what shells and compose files usually intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const moduleUrls: Record<string, string> = {};
  const badUrls: string[] = [];
  for (const [name, value] of Object.entries(present)) {
    const module = MODULE_DATABASE_URL.exec(name)?.[1];
    if (!module) continue;
    if (DatabaseUrl.safeParse(value).success) moduleUrls[module.toLowerCase()] = value!;
    else badUrls.push(`  ${name}: a postgres:// URL`);
  }
  if (badUrls.length > 0) throw new ConfigError(`Invalid configuration:\n${badUrls.join('\n')}`);
  const config: Config = { ...parsed.data, MODULE_DATABASE_URLS: moduleUrls };
  // JSON settings are read here too, so a typo stops the start with the other configuration errors.
  for (const check of [() => parseResilienceSettings(config.RESILIENCE), () => FaultInjector.fromConfig(config.FAULT_INJECTION)]) {
    try {
      check();
    } catch (error) {
      throw new ConfigError(`Invalid configuration:\n  ${(error as Error).message}`);
    }
  }
  if (config.NODE_ENV === 'production') {
    const defaults = (Object.keys(DEV_SECRETS) as (keyof typeof DEV_SECRETS)[]).filter(
      (name) => config[name] === DEV_SECRETS[name],
    );
    if (defaults.length > 0) {
      throw new ConfigError(`Invalid configuration:\n${defaults.map((n) => `  ${n}: set a real value; the development default is refused in production`).join('\n')}`);
    }
  }
  return config;
}

/** The database a module's schema lives in: its own (`<MODULE>_DATABASE_URL`) or the shared one. */
export function databaseUrlOf(config: Config, module: string | undefined): string {
  return (module && config.MODULE_DATABASE_URLS[module]) || config.DATABASE_URL;
}

/** The modules this process hosts: `MODULES=all` or a comma-separated list. */
export function hostedModuleNames(config: Config, available: readonly string[]): string[] {
  if (config.MODULES.trim() === 'all') return [...available];
  const wanted = config.MODULES.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  MODULES: unknown module(s) ${unknown.join(', ')}; known: ${available.join(', ')}`);
  }
  return wanted;
}
