import { describe, expect, it } from 'vitest';
import { ConfigError, databaseUrlOf, DEV_SECRETS, hostedModuleNames, loadConfig } from './config.js';

describe('configuration', () => {
  it('starts with safe development defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, NODE_ENV: 'development', REDIS_URL: 'redis://127.0.0.1:6379', MODULES: 'all' });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['REDIS_URL', 'not a url'],
    ['JWT_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_EMAIL', 'admin-at-example'],
  ])('refuses a wrong %s and names it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration:\\n  ${name}:`));
  });

  it('refuses development secrets in production, naming each', () => {
    const error = (() => {
      try {
        loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'a-real-secret-that-is-long-enough-000000' });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toContain('INTERNAL_TOKEN_SECRET');
    expect(error?.message).toContain('ADMIN_PASSWORD');
    expect(error?.message).not.toContain('JWT_SECRET');
  });

  it('starts in production once every secret is real', () => {
    const real: Record<string, string> = Object.fromEntries(Object.keys(DEV_SECRETS).map((name) => [name, `${name.toLowerCase()}-real-value-long-enough-for-it`]));
    real.PAYMENT_ENCRYPTION_KEY = `prod-1:${Buffer.alloc(32, 7).toString('base64')}`;
    expect(loadConfig({ NODE_ENV: 'production', ...real }).NODE_ENV).toBe('production');
  });

  it('hosts all modules by default, or exactly those listed, and rejects unknown names', () => {
    const known = ['user', 'order'];
    expect(hostedModuleNames(loadConfig({}), known)).toEqual(known);
    expect(hostedModuleNames(loadConfig({ MODULES: 'order' }), known)).toEqual(['order']);
    expect(() => hostedModuleNames(loadConfig({ MODULES: 'order,billing' }), known)).toThrow(/MODULES: unknown module\(s\) billing/);
  });
});

describe('strangler settings', () => {
  it('reads a database of its own per module from <MODULE>_DATABASE_URL', () => {
    const config = loadConfig({ ORDER_DATABASE_URL: 'postgres://postgres@10.0.0.9:5432/orders' });
    expect(config.MODULE_DATABASE_URLS).toEqual({ order: 'postgres://postgres@10.0.0.9:5432/orders' });
    expect(databaseUrlOf(config, 'order')).toBe('postgres://postgres@10.0.0.9:5432/orders');
    expect(databaseUrlOf(config, 'product')).toBe(config.DATABASE_URL);
    expect(() => loadConfig({ ORDER_DATABASE_URL: 'mysql://x' })).toThrow(/ORDER_DATABASE_URL: a postgres:\/\/ URL/);
  });

  it('refuses resilience and fault settings it cannot read, at start', () => {
    expect(() => loadConfig({ RESILIENCE: '{"proxy.order":{"timout":5}}' })).toThrow(ConfigError);
    expect(() => loadConfig({ FAULT_INJECTION: 'not json' })).toThrow(/FAULT_INJECTION/);
    expect(loadConfig({ RESILIENCE: '{"default":{"attempts":2}}', FAULT_INJECTION: '{}' }).RESILIENCE).toContain('attempts');
  });
});
