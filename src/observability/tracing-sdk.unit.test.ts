import { expect, it } from 'vitest';
import { instrumentationsFor } from './tracing-sdk.js';

const names = (env: NodeJS.ProcessEnv, warn: (message: string) => void = () => {}) => instrumentationsFor(env, warn).map((instrumentation) => instrumentation.name);

it('loads every instrumentation unless told otherwise', () => {
  expect(names({})).toEqual(['http', 'koa', 'pg', 'ioredis', 'undici']);
  expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' })).toEqual(['http', 'koa', 'pg', 'ioredis', 'undici']);
});

it('leaves out those OTEL_NODE_DISABLED_INSTRUMENTATIONS names, however the list is spaced or cased', () => {
  expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })).toEqual(['http', 'koa', 'ioredis', 'undici']);
  expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: ' PG , ioredis,' })).toEqual(['http', 'koa', 'undici']);
});

it('says so when the list names an instrumentation this application does not load', () => {
  const warnings: string[] = [];
  expect(names({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,mysql' }, (message) => warnings.push(message))).toEqual(['http', 'koa', 'ioredis', 'undici']);
  expect(warnings).toEqual(['OTEL_NODE_DISABLED_INSTRUMENTATIONS names "mysql", which is not one this application loads (http, koa, pg, ioredis, undici)']);
});
