import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { KoaAdapter } from '@bull-board/koa';
import type { Queue } from 'bullmq';
import type { Middleware } from 'koa';
import type { AccessTokens } from '../security/access-tokens.js';
import { requireAdmin } from './admin-session.js';

export interface QueueBoardOptions {
  /** where the board lives, e.g. `/admin/queues` */
  basePath: string;
  /** every queue to show; asked on each board request, so queues created later appear too */
  queues: () => Queue[];
  tokens: AccessTokens;
}

/**
 * The bull-board UI and its JSON API for every queue, admins only. Requests outside
 * `basePath` pass straight through, so this can sit anywhere in the middleware chain.
 *
 * The app's JSON body parser may run first: bull-board's own parser skips a body that is
 * already parsed, and the board's writes are JSON (or bodiless) PUT/POST/PATCH requests.
 * @example app.use(queueBoard({ basePath: '/admin/queues', queues: () => bus.allQueues(), tokens }))
 */
export function queueBoard(options: QueueBoardOptions): Middleware {
  const basePath = options.basePath.replace(/\/+$/, '');
  // The session cookie is scoped to Path=/admin, so a board elsewhere could never be opened in a browser.
  if (!basePath.startsWith('/admin/')) throw new Error(`The queue board must live under /admin/, not ${options.basePath}`);
  const serverAdapter = new KoaAdapter().setBasePath(basePath);
  const board = createBullBoard({ queues: [], serverAdapter });
  // KoaAdapter builds a sub-app behind koa-mount(basePath), so it sees paths relative to the board.
  const plugin = serverAdapter.registerPlugin();
  const guard = requireAdmin(options.tokens);
  const shown = new Map<string, Queue>();

  // Cheap enough per request: adapters are only built for queues the board has not seen yet.
  const syncQueues = (): void => {
    const current = new Map(options.queues().map((queue) => [queue.name, queue]));
    for (const name of shown.keys()) {
      if (!current.has(name)) {
        board.removeQueue(name);
        shown.delete(name);
      }
    }
    for (const [name, queue] of current) {
      if (shown.get(name) === queue) continue;
      board.addQueue(new BullMQAdapter(queue));
      shown.set(name, queue);
    }
  };

  return async (ctx, next) => {
    if (ctx.path !== basePath && !ctx.path.startsWith(`${basePath}/`)) {
      await next();
      return;
    }
    await guard(ctx, async () => {
      syncQueues();
      // The board owns its whole subtree: bull-board's error handler would turn a problem thrown
      // further down into a 500, so an unknown board path ends here as the app's 404 problem.
      await plugin(ctx, async () => {});
    });
  };
}
