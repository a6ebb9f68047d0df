/**
 * Operator's tool for the dead-letter set, the same operations as /admin/events/dead-letters.
 *   npm run dead-letters -- list [--module notification] [--status parked]
 *   npm run dead-letters -- replay [--module notification] [eventId …]
 */
import { parseArgs } from 'node:util';
import { createPlatform } from '../src/app/platform.js';
import { hostedModuleNames, loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/observability/logger.js';
import { allModules } from '../modules/registry.js';
import { exitOnStartupError } from '../src/app/startup-error.js';

const STATUSES = ['waiting', 'redriving', 'parked', 'resolved'] as const;
const USAGE = 'usage: npm run dead-letters -- list|replay [--module NAME] [--status STATUS] [eventId …]';

try {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { module: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } } });
  const [command, ...eventIds] = positionals;
  const status = values.status as (typeof STATUSES)[number] | undefined;
  if ((command !== 'list' && command !== 'replay') || (status && !STATUSES.includes(status))) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const config = loadConfig(process.env);
  const log = createLogger({ level: 'warn', pretty: false });
  const names = hostedModuleNames(config, allModules.map((m) => m.name));
  const platform = createPlatform({ config, log, modules: allModules.filter((m) => names.includes(m.name)), catalog: allModules });
  try {
    if (command === 'list') {
      const items = await platform.events.listDeadLetters({ ...(values.module ? { module: values.module } : {}), ...(status ? { status } : {}), limit: Number(values.limit ?? 100) });
      for (const item of items) {
        process.stdout.write(`${item.eventId}  ${item.module.padEnd(13)} ${item.eventType.padEnd(22)} ${item.status.padEnd(9)} attempts=${item.attempts} redrives=${item.redriveCount}  ${item.lastError ?? ''}\n`);
      }
      process.stdout.write(`${items.length} dead letter(s)\n`);
    } else {
      const replayed = await platform.events.replayDeadLetters({ ...(values.module ? { module: values.module } : {}), ...(eventIds.length ? { eventIds } : {}) });
      const count = replayed.reduce((sum, entry) => sum + entry.eventIds.length, 0);
      process.stdout.write(`replayed ${count} dead letter(s)${count ? `: ${replayed.flatMap((e) => e.eventIds).join(', ')}` : ''}\n`);
    }
  } finally {
    await platform.close();
  }
} catch (error) {
  exitOnStartupError(error);
}
