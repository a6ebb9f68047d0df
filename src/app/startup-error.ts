import { ConfigError } from '../config/config.js';

/** A start-up failure is told in one readable paragraph, not a stack trace, then the process ends. */
export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`\n${error.message}\n\nFix the variable(s) above and start again.\n`);
  } else {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`\nStart-up failed: ${detail}\n`);
  }
  process.exit(1);
}
