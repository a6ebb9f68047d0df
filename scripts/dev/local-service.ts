import net from 'node:net';
import path from 'node:path';

/** What `npm run dev` found or started for one service, and how to stop what it started. */
export interface LocalService {
  /** connection URL the app should use */
  url: string;
  /** true when this process started the server and must stop it */
  startedHere: boolean;
  stop(): Promise<void>; // no-op when startedHere is false; safe to call twice
  /** where a server started here keeps its data, when that is worth telling */
  dataDir?: string;
}

const LOCAL_SERVICE_ERROR = Symbol.for('commerce.dev.local-service-error');

/**
 * A database or Redis that `npm run dev` can neither find nor start, for a reason the user can fix.
 * Its message is complete and says what to do; `npm run dev` prints it without a stack trace.
 */
export class LocalServiceError extends Error {
  readonly [LOCAL_SERVICE_ERROR] = true;
  override name = 'LocalServiceError';
}

export function isLocalServiceError(error: unknown): error is LocalServiceError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[LOCAL_SERVICE_ERROR] === true;
}

/** outcome of trying a server: `listening` tells "nothing there" apart from "there, but unusable" */
export type Probe = { ok: true } | { ok: false; listening: boolean; reason: string };

/** true when something accepts TCP connections on host:port */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** host and port of a connection URL; the URL itself is never echoed because it may hold a password */
export function endpoint(url: string, defaultPort: number, variable?: string): { host: string; port: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new LocalServiceError(`${variable ?? 'the connection URL'} is not a valid URL`);
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost', port: Number(parsed.port || defaultPort) };
}

export function endpointLabel(url: string, defaultPort: number): string {
  const { host, port } = endpoint(url, defaultPort);
  return `${host}:${port}`;
}

export function whyUnusable(probe: Probe & { ok: false }): string {
  return probe.listening ? `something answers there and the connection failed: ${probe.reason}` : `nothing answers there (${probe.reason})`;
}

export function alreadyRunning(url: string): LocalService {
  return { url, startedHere: false, stop: async () => {} };
}

export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  const code = 'code' in error ? String(error.code) : '';
  return error.message || code || error.name;
}

export function displayPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}
