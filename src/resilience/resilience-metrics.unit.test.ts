import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseResilienceSettings } from './dependency-settings.js';
import { Resilience } from './resilience.js';
import { registerResilienceMetrics } from './resilience-metrics.js';

describe('resilience metrics', () => {
  it('exposes circuits, bulkheads and call outcomes per dependency', async () => {
    const resilience = new Resilience({ log: pino({ level: 'silent' }), settings: parseResilienceSettings('{"payment": {"attempts": 1}}') });
    const registry = new Registry();
    registerResilienceMetrics(registry, resilience);
    await resilience.dependency('product').execute(async () => 'answer', { idempotent: true });
    await resilience.dependency('payment').execute(async () => { throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }); }, { idempotent: true }).catch(() => undefined);
    resilience.isolate('payment');

    const text = await registry.metrics();
    expect(text).toContain('circuit_breaker_state{dependency="product",state="closed"} 1');
    expect(text).toContain('circuit_breaker_state{dependency="product",state="open"} 0');
    expect(text).toContain('circuit_breaker_state{dependency="payment",state="isolated"} 1');
    expect(text).toContain('bulkhead_active{dependency="product"} 0');
    expect(text).toContain('bulkhead_queued{dependency="product"} 0');
    expect(text).toContain('# TYPE resilience_calls_total counter');
    expect(text).toContain('resilience_calls_total{dependency="product",outcome="succeeded"} 1');
    expect(text).toContain('resilience_calls_total{dependency="payment",outcome="failed"} 1');
    expect(text).toContain('resilience_calls_total{dependency="payment",outcome="retried"} 0');
  });
});

describe('resilience registry', () => {
  it('makes each dependency once, with its own settings, and lists their states by name', () => {
    const resilience = new Resilience({ log: pino({ level: 'silent' }), settings: parseResilienceSettings('{"payment": {"timeoutMs": 900}}') });
    expect(resilience.dependency('product')).toBe(resilience.dependency('product'));
    expect(resilience.dependency('payment').settings.timeoutMs).toBe(900);
    expect(resilience.dependency('product').settings.timeoutMs).toBe(5_000);
    expect(resilience.states().map((state) => [state.dependency, state.circuit])).toEqual([['payment', 'closed'], ['product', 'closed']]);
    expect(() => resilience.dependency('not a name')).toThrow(/Not a dependency name/);
  });
});
