import { PassThrough } from 'node:stream';
import { expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { runWithContext } from './request-context.js';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { log: createLogger({ level: 'info', pretty: false, destination: stream }), lines, text: () => JSON.stringify(lines) };
}

it('never writes passwords, tokens or card data, wherever a caller puts them', async () => {
  const { log, text } = capture();
  log.info({
    password: 'hunter2-password', token: 'eyJ.token.value', accessToken: 'eyJ.access', cardNumber: '4242424242424242', cvc: '123',
    user: { password: 'nested-password', newPassword: 'next-password', token: 'nested-token' },
    headers: { authorization: 'Bearer eyJ.header', cookie: 'admin_session=abc', 'x-internal-token': 'eyJ.internal' },
    req: { headers: { authorization: 'Bearer eyJ.req', cookie: 'admin_session=def' } },
  }, 'a careless line');
  await new Promise((resolve) => setImmediate(resolve));
  for (const secret of ['hunter2-password', 'eyJ.token.value', 'eyJ.access', '4242424242424242', 'nested-password', 'next-password', 'nested-token', 'eyJ.header', 'admin_session', 'eyJ.internal', 'eyJ.req']) {
    expect(text(), secret).not.toContain(secret);
  }
  expect(text()).toContain('[redacted]');
});

it('stamps every line with the correlation id of the unit of work', async () => {
  const { log, lines } = capture();
  runWithContext({ correlationId: 'corr-42' }, () => log.child({ module: 'order' }).info('inside'));
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines[0]).toMatchObject({ correlationId: 'corr-42', module: 'order', msg: 'inside' });
});
