import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allModules } from '../../modules/registry.js';
import { eventually } from '../testing/eventually.js';
import { counterModules, effectCounts, startCounterPipeline, writeEvents, type CounterPipeline } from '../testing/counter-pipeline.js';

const modules = counterModules(allModules);
/** Far below the relay's idle poll (a minute here): only a NOTIFY can deliver this fast. */
const WOKEN_WITHIN_MS = 5_000;
/** Long enough for the relay to have backed off from its fast re-polls to the idle poll. */
const IDLE_AFTER_MS = 700;

let pipeline: CounterPipeline;

beforeAll(async () => {
  pipeline = await startCounterPipeline(modules, { RELAY_POLL_MS: '60000' });
});
afterAll(async () => pipeline?.close());

async function deliveredSoon(eventIds: string[]): Promise<void> {
  await eventually(async () => expect((await effectCounts(pipeline.admin, modules.consumer, eventIds)).size).toBe(eventIds.length), WOKEN_WITHIN_MS);
}

const idle = () => new Promise((resolve) => setTimeout(resolve, IDLE_AFTER_MS));

describe('waking an idle relay', () => {
  it('a commit wakes the relay at once, again and again, with a minute between polls', async () => {
    for (let round = 0; round < 3; round += 1) {
      await idle();
      const [event] = await writeEvents(pipeline.t.platform, modules, 1);
      await deliveredSoon([event!.eventId]);
    }
  }, 30_000);
});
