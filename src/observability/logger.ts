import { pino, type Logger, type LoggerOptions } from 'pino';
import { currentContext } from './request-context.js';

export type { Logger };

/** Paths that must never reach a log line, whatever a caller passes in. */
const REDACTED_PATHS = [
  'password', '*.password', 'newPassword', '*.newPassword',
  'token', '*.token', 'accessToken', '*.accessToken',
  'cardNumber', '*.cardNumber', 'cvc', '*.cvc',
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers["x-internal-token"]',
];

export interface LoggerSettings {
  level: string;
  pretty: boolean;
  name?: string;
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
      return context ? { correlationId: context.correlationId } : {};
    },
  };
  if (settings.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options);
}
