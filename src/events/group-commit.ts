import { context as traceContext } from '@opentelemetry/api';
import { currentContext, runWithContext } from '../observability/request-context.js';

/** The outcome of one item of a batch: a batch may partly fail. */
export type ItemOutcome = { ok: true } | { ok: false; error: unknown };

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Application-level group commit: items submitted while earlier batches are running wait
 * and then run together, so under load many deliveries share one transaction (one commit,
 * far fewer round trips) while a lone delivery still runs at once.
 * @example const batcher = new GroupCommit((items) => applyInOneTransaction(items), { maxBatch: 50, maxInFlight: 4 })
 */
export class GroupCommit<T> {
  private readonly pending: Pending<T>[] = [];
  private inFlight = 0;

  constructor(
    private readonly runBatch: (items: T[]) => Promise<ItemOutcome[]>,
    private readonly limits: { maxBatch: number; maxInFlight: number },
  ) {}

  /** Resolves once the item has committed; rejects with the item's own failure. */
  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.limits.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.limits.maxBatch);
      this.inFlight += 1;
      this.runBatch(batch.map((entry) => entry.item)).then(
        (outcomes) => batch.forEach((entry, index) => {
          const outcome = outcomes[index];
          if (outcome?.ok) entry.resolve();
          else entry.reject(outcome ? outcome.error : new Error('batch returned no outcome for this item'));
        }),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      ).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }
}

/**
 * Turns "apply these items together" into per-item outcomes: the items are applied in one
 * go, and if that fails (one transaction, so nothing of it stays), each is applied again
 * alone, so one bad item fails by itself and the rest still commit.
 * @example new GroupCommit(togetherThenAlone((batch) => applyInOneTransaction(batch)), limits)
 */
export function togetherThenAlone<T>(apply: (items: T[]) => Promise<void>): (items: T[]) => Promise<ItemOutcome[]> {
  return async (items) => {
    try {
      await apply(items);
      return items.map(() => ({ ok: true }));
    } catch (error) {
      if (items.length === 1) return [{ ok: false, error }];
      const outcomes: ItemOutcome[] = [];
      for (const item of items) {
        try {
          await apply([item]);
          outcomes.push({ ok: true });
        } catch (alone) {
          outcomes.push({ ok: false, error: alone });
        }
      }
      return outcomes;
    }
  };
}

/**
 * A batch runs in the async context of whichever caller started it, so the part of it done
 * for another caller would log and raise events under the starter's correlation id and trace.
 * Captured when a caller submits its item, the answer runs that item's part as its caller.
 * @example const asCaller = callerContext(); … await asCaller(() => writeItem(trx, item))
 */
export function callerContext(): <T>(work: () => T) => T {
  const request = currentContext();
  const trace = traceContext.active();
  return (work) => traceContext.with(trace, () => (request ? runWithContext(request, work) : work()));
}
