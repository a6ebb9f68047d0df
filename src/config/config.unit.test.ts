import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_SECRETS, hostedModuleNames, loadConfig } from './config.js';

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
