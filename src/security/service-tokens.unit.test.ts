import { describe, expect, it } from 'vitest';
import { InvalidServiceToken, ServiceTokens } from './service-tokens.js';

const SECRET = 'a-service-token-secret-of-enough-length';

describe('service tokens', () => {
  it('opens the service it was issued for, and no other', async () => {
    const tokens = new ServiceTokens(SECRET, 'monolith');
    const token = await tokens.tokenFor('order');
    await expect(tokens.verify(token, ['order'])).resolves.toEqual({ caller: 'monolith', module: 'order' });
    await expect(tokens.verify(token, ['payment'])).rejects.toBeInstanceOf(InvalidServiceToken);
    // Also when the verdict comes from the cache of verified tokens.
    await expect(tokens.verify(token, ['payment'])).rejects.toThrow(/issued for order/);
  });

  it('refuses a missing token, a forged one and one signed with another secret', async () => {
    const tokens = new ServiceTokens(SECRET, 'monolith');
    await expect(tokens.verify(undefined, ['order'])).rejects.toThrow(/send a service token/);
    await expect(tokens.verify('not.a.token', ['order'])).rejects.toBeInstanceOf(InvalidServiceToken);
    const foreign = await new ServiceTokens('another-secret-of-a-sufficient-length', 'intruder').tokenFor('order');
    await expect(tokens.verify(foreign, ['order'])).rejects.toBeInstanceOf(InvalidServiceToken);
    const user = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwiYXVkIjoic3ZjOm9yZGVyIn0.';
    await expect(tokens.verify(user, ['order'])).rejects.toBeInstanceOf(InvalidServiceToken);
  });

  it('expires, and is renewed before it does', async () => {
    let now = Date.parse('2026-12-02T10:00:00Z');
    const tokens = new ServiceTokens(SECRET, 'monolith', 60, () => now);
    const first = await tokens.tokenFor('order');
    expect(await tokens.tokenFor('order')).toBe(first);
    now += 50_000;
    const renewed = await tokens.tokenFor('order');
    expect(renewed).not.toBe(first);
    now += 11_000;
    await expect(tokens.verify(first, ['order'])).rejects.toThrow(/expired/);
    await expect(tokens.verify(renewed, ['order'])).resolves.toMatchObject({ module: 'order' });
  });
});
