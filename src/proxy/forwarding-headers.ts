import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { DEADLINE_HEADER } from '../resilience/deadline.js';
import { SERVICE_TOKEN_HEADER } from '../security/service-tokens.js';

// RFC 9110 §7.6.1: these describe one connection and must not travel past a proxy.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  if (!value) return new Set();
  return new Set(String(value).split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/** End-to-end headers only: hop-by-hop ones, and those the Connection header names, are dropped. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionTokens(headers);
  const kept: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    kept[name] = headers[name];
  }
  return kept;
}

export interface ForwardingFacts {
  correlationId: string;
  serviceToken: string;
  /** what is left of the caller's deadline, in milliseconds, for `x-request-deadline-ms` */
  deadline: string;
}

/**
 * The headers a request leaves the front door with: the client's end-to-end headers, its
 * address appended to `x-forwarded-for` and `forwarded` (RFC 7239), the correlation id,
 * and our own service token; a token the client sent is never passed on.
 */
export function forwardedRequestHeaders(req: IncomingMessage, facts: ForwardingFacts): OutgoingHttpHeaders {
  const headers = endToEndHeaders(req.headers);
  delete headers[SERVICE_TOKEN_HEADER];
  delete headers.host;
  const client = req.socket.remoteAddress ?? 'unknown';
  const host = req.headers.host ?? '';
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const priorFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${String(priorFor)}, ${client}` : client;
  headers['x-forwarded-proto'] ??= proto;
  headers['x-forwarded-host'] ??= host;
  const node = client.includes(':') ? `"[${client}]"` : client;
  const element = `for=${node};proto=${proto}${host ? `;host="${host}"` : ''}`;
  headers.forwarded = req.headers.forwarded ? `${req.headers.forwarded}, ${element}` : element;
  headers['x-request-id'] = facts.correlationId;
  headers[SERVICE_TOKEN_HEADER] = facts.serviceToken;
  headers[DEADLINE_HEADER] = facts.deadline;
  return headers;
}
