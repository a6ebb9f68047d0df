import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { DEADLINE_HEADER } from '../resilience/deadline.js';
import { SERVICE_TOKEN_HEADER } from '../security/service-tokens.js';

// RFC 9110 §7.6.1: these describe one connection and must not travel past a proxy.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

// What the front door sets itself on a forwarded request: the client's value is dropped (host,
// a forged token) or folded into ours (the forwarding chain), never copied as it came.
const SET_BY_US = new Set(['host', SERVICE_TOKEN_HEADER, 'x-request-id', DEADLINE_HEADER, 'x-forwarded-for', 'forwarded']);

/** Headers the Connection header names beyond the standard hop-by-hop ones; undefined (the usual case) when none. */
function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  // What nearly every request and response says: only hop-by-hop words, nothing to parse.
  if (!value || value === 'keep-alive' || value === 'close') return undefined;
  let named: Set<string> | undefined;
  for (const token of String(value).split(',')) {
    const name = token.trim().toLowerCase();
    if (name && !HOP_BY_HOP.has(name)) (named ??= new Set()).add(name);
  }
  return named;
}

/** Copies the end-to-end headers, leaving out `skip` too: one pass, no `delete` (which would make the copy a slow dictionary object). */
function copyEndToEnd(headers: IncomingHttpHeaders, skip?: ReadonlySet<string>): OutgoingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const kept: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || skip?.has(name) || named?.has(name)) continue;
    kept[name] = headers[name];
  }
  return kept;
}

/** End-to-end headers only: hop-by-hop ones, and those the Connection header names, are dropped. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return copyEndToEnd(headers);
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
  const received = req.headers;
  const headers = copyEndToEnd(received, SET_BY_US);
  const client = req.socket.remoteAddress ?? 'unknown';
  const host = received.host ?? '';
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  const priorFor = received['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${String(priorFor)}, ${client}` : client;
  headers['x-forwarded-proto'] ??= proto;
  headers['x-forwarded-host'] ??= host;
  const node = client.includes(':') ? `"[${client}]"` : client;
  const element = `for=${node};proto=${proto}${host ? `;host="${host}"` : ''}`;
  headers.forwarded = received.forwarded ? `${received.forwarded}, ${element}` : element;
  headers['x-request-id'] = facts.correlationId;
  headers[SERVICE_TOKEN_HEADER] = facts.serviceToken;
  headers[DEADLINE_HEADER] = facts.deadline;
  return headers;
}
