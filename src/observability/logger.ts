import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentContext } from './request-context.js';
import { activeSpanIds } from './tracing.js';

export type { Logger };

/** Paths that must never reach a log line, whatever a caller passes in. */
const REDACTED_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword',
  'token', '*.token', 'accessToken', '*.accessToken',
  'cardNumber', '*.cardNumber', 'cvc', '*.cvc',
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'headers["x-internal-token"]',
  'secret', '*.secret', 'serviceToken', '*.serviceToken', 'cvv', '*.cvv', 'pan', '*.pan',
];

export interface LoggerSettings {
  level: string;
  pretty: boolean;
  name?: string;
  /** where lines go (default: stdout) */
  destination?: NodeJS.WritableStream;
}

/**
 * One pino logger per process; the correlation id of the current unit of work
 * is added to every line from async context, so callers never thread them by hand.
 * @example const log = createLogger({ level: 'info', pretty: false })
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    name: settings.name ?? 'commerce',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => {
      const context = currentContext();
      const span = activeSpanIds();
      return { ...(context ? { correlationId: context.correlationId } : {}), ...span };
    },
  };
  if (settings.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
