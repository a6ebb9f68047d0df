import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPENDENCY_SETTINGS, parseResilienceSettings, settingsFor } from './dependency-settings.js';

describe('RESILIENCE settings', () => {
  it('gives every dependency the defaults when the variable is absent', () => {
    expect(settingsFor(parseResilienceSettings(undefined), 'product')).toEqual(DEFAULT_DEPENDENCY_SETTINGS);
    expect(settingsFor(parseResilienceSettings('  '), 'product')).toEqual(DEFAULT_DEPENDENCY_SETTINGS);
  });

  it('lays a dependency\'s own entry over "default", over the built-in defaults, field by field', () => {
    const settings = parseResilienceSettings(JSON.stringify({
      default: { timeoutMs: 2_000, breaker: { consecutiveFailures: 10 } },
      'module.payment': { attempts: 1, breaker: { halfOpenAfterMs: 30_000 } },
    }));
    expect(settingsFor(settings, 'module.payment')).toEqual({
      ...DEFAULT_DEPENDENCY_SETTINGS, timeoutMs: 2_000, attempts: 1, breaker: { consecutiveFailures: 10, halfOpenAfterMs: 30_000 },
    });
    expect(settingsFor(settings, 'module.product')).toEqual({ ...DEFAULT_DEPENDENCY_SETTINGS, timeoutMs: 2_000, breaker: { consecutiveFailures: 10, halfOpenAfterMs: 5_000 } });
  });

  it.each([
    ['{"default": {timeoutMs: 5}}', /RESILIENCE is not valid: not JSON/],
    ['[1, 2]', /RESILIENCE is not valid: expected an object/],
    ['{"payment": {"timout": 5}}', /payment: Unrecognized key: "timout"/],
    ['{"payment": {"attempts": 0}}', /payment\.attempts: Too small/],
    ['{"payment": {"timeoutMs": "5000"}}', /payment\.timeoutMs: Invalid input: expected number/],
    ['{"bad name!": {}}', /a dependency name is letters/],
    ['{"default": {"backoff": {"initialMs": 500, "maxMs": 100}}}', /default\.backoff: maxMs \(100\) is below initialMs \(500\)/],
    ['{"payment": {"backoff": {"maxMs": 10}}}', /payment\.backoff: maxMs \(10\) is below initialMs \(50\)/],
  ])('refuses %s with a message naming the problem', (text, message) => {
    expect(() => parseResilienceSettings(text)).toThrow(message);
  });
});
