import type { IncomingMessage } from 'node:http';
import { expect, it } from 'vitest';
import { endToEndHeaders, forwardedRequestHeaders } from './forwarding-headers.js';

const request = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: '192.0.2.7' } }) as unknown as IncomingMessage;

it('drops hop-by-hop headers and those the Connection header names', () => {
  const kept = endToEndHeaders({ connection: 'keep-alive, x-secret-hop', 'keep-alive': 'timeout=5', 'x-secret-hop': '1', 'transfer-encoding': 'chunked', accept: 'application/json' });
  expect(kept).toEqual({ accept: 'application/json' });
});

it('adds the client to the forwarding headers, the correlation id and our token, never the client\'s token', () => {
  const headers = forwardedRequestHeaders(
    request({ host: 'shop.example', 'x-forwarded-for': '203.0.113.1', authorization: 'Bearer user', 'x-internal-token': 'forged', te: 'trailers' }),
    { correlationId: 'c-1', serviceToken: 'ours', deadline: '2500' },
  );
  expect(headers).toMatchObject({
    'x-forwarded-for': '203.0.113.1, 192.0.2.7', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'shop.example',
    forwarded: 'for=192.0.2.7;proto=http;host="shop.example"', 'x-request-id': 'c-1', 'x-internal-token': 'ours',
    'x-request-deadline-ms': '2500', authorization: 'Bearer user',
  });
  expect(headers.te).toBeUndefined();
  expect(headers.host).toBeUndefined();
});
