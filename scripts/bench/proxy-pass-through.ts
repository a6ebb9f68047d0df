/**
 * The naive Node baseline of `npm run bench:proxy`: a `node:http` server that sends every
 * request over an undici Pool to UPSTREAM_URL with the service token added, and pipes the
 * answer back. No routing, resilience, deadlines or logging: what any Node proxy costs at
 * least. A process of its own, as the monolith and nginx are, so it gets a core the same way.
 * Prints `{"msg":"listening","url":…}` once it listens on PORT (0: any).
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const upstream = process.env.UPSTREAM_URL;
const token = process.env.SERVICE_TOKEN;
if (!upstream || !token) throw new Error('set UPSTREAM_URL and SERVICE_TOKEN');

const pool = new Pool(upstream, { connections: Number(process.env.UPSTREAM_CONNECTIONS ?? 64), headersTimeout: 0, bodyTimeout: 0 });
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const kept: OutgoingHttpHeaders = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) kept[name] = headers[name];
  return kept;
}

const server = createServer((req, res) => {
  const headers = endToEnd(req.headers);
  delete headers.host;
  headers['x-internal-token'] = token;
  const method = (req.method ?? 'GET') as Dispatcher.HttpMethod;
  pool.request({ path: req.url ?? '/', method, headers: headers as Record<string, string>, body: method === 'GET' || method === 'HEAD' ? null : req }).then(
    ({ statusCode, headers: answer, body }) => {
      res.writeHead(statusCode, endToEnd(answer as IncomingHttpHeaders));
      body.on('error', () => res.destroy());
      body.pipe(res);
    },
    () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    },
  );
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}` })}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
