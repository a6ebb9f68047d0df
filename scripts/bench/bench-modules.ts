import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineModule } from '../../src/app/module-definition.js';
import { defineEvent } from '../../src/events/envelope.js';
import { subscribe } from '../../src/events/subscription.js';

/** A realistic event: an order was placed, with a few fields of business data. */
export const BenchOrderPlaced = defineEvent('BenchOrderPlaced', 1, z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  amountCents: z.number().int(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int() })),
}));

/** Called in the handler with the event id; the benchmark stamps the handled time there. */
export type HandledProbe = (eventId: string) => void;

const folder = (schema: string) => fileURLToPath(new URL(`./migrations/${schema}/`, import.meta.url));

export const benchOrdersModule = defineModule({
  name: 'bench-orders',
  schema: 'bench_orders',
  migrations: folder('bench_orders'),
  routePrefixes: [],
  publishes: [BenchOrderPlaced],
  register: () => undefined,
});

/** The consumer: one INSERT per event in its own transaction, beside the kernel's inbox row. */
export function benchEffectsModule(onHandled: HandledProbe) {
  return defineModule({
    name: 'bench-effects',
    schema: 'bench_effects',
    migrations: folder('bench_effects'),
    routePrefixes: [],
    publishes: [],
    subscriptions: [
      subscribe(BenchOrderPlaced, 'record-effect', async (event, { trx }) => {
        await trx('bench_effects').insert({ event_id: event.eventId, order_id: event.data.orderId });
        onHandled(event.eventId);
      }),
    ],
    register: () => undefined,
  });
}
