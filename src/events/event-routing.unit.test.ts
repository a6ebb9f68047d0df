import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './envelope.js';
import { EventRouting } from './event-routing.js';
import { subscribe } from './subscription.js';

const StatusChanged = defineEvent('StatusChanged', 1, z.object({ to: z.string() }));
const ignore = async () => undefined;
const publisher = { name: 'orders', publishes: [StatusChanged] };

describe('routing events to the modules that want them', () => {
  it('queues an event only for modules whose filter accepts its data', () => {
    const routing = new EventRouting([
      publisher,
      { name: 'mailer', publishes: [], subscriptions: [subscribe(StatusChanged, 'final-only', ignore, { accepts: (data) => data.to === 'CONFIRMED' })] },
      { name: 'audit', publishes: [], subscriptions: [subscribe(StatusChanged, 'every-move', ignore)] },
    ]);
    expect(routing.consumersOf('StatusChanged', { to: 'RESERVED' })).toEqual(['audit']);
    expect(routing.consumersOf('StatusChanged', { to: 'CONFIRMED' })).toEqual(['mailer', 'audit']);
    expect(routing.allConsumers()).toEqual(['audit', 'mailer']);
  });

  it('gives a module every event when one of its subscriptions has no filter', () => {
    const routing = new EventRouting([
      publisher,
      { name: 'mailer', publishes: [], subscriptions: [
        subscribe(StatusChanged, 'final-only', ignore, { accepts: () => false }),
        subscribe(StatusChanged, 'every-move', ignore),
      ] },
    ]);
    expect(routing.consumersOf('StatusChanged', { to: 'RESERVED' })).toEqual(['mailer']);
  });

  it('leaves malformed data to the consumer to judge, rather than dropping it', () => {
    const routing = new EventRouting([
      publisher,
      { name: 'mailer', publishes: [], subscriptions: [subscribe(StatusChanged, 'final-only', ignore, { accepts: (data) => data.to.startsWith('C') })] },
    ]);
    expect(routing.consumersOf('StatusChanged', null)).toEqual(['mailer']);
  });
});
