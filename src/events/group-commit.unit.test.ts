import { describe, expect, it } from 'vitest';
import { currentContext, runWithContext } from '../observability/request-context.js';
import { callerContext, GroupCommit, type ItemOutcome } from './group-commit.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

describe('group commit', () => {
  it('runs a lone item at once, and items arriving meanwhile together in the next batch', async () => {
    const batches: number[][] = [];
    const first = gate();
    const batcher = new GroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await first.opened;
      return items.map((): ItemOutcome => ({ ok: true }));
    }, { maxBatch: 10, maxInFlight: 1 });

    const lone = batcher.submit(1);
    const waiting = [2, 3, 4].map((item) => batcher.submit(item));
    expect(batches).toEqual([[1]]);
    first.open();
    await Promise.all([lone, ...waiting]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than maxBatch items in one batch', async () => {
    const sizes: number[] = [];
    const batcher = new GroupCommit<number>(async (items) => {
      sizes.push(items.length);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return items.map((): ItemOutcome => ({ ok: true }));
    }, { maxBatch: 3, maxInFlight: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
  });

  it('fails only the items whose outcome failed', async () => {
    const batcher = new GroupCommit<number>(async (items) =>
      items.map((item): ItemOutcome => (item === 2 ? { ok: false, error: new Error('poison 2') } : { ok: true })),
    { maxBatch: 10, maxInFlight: 1 });
    const results = await Promise.allSettled([1, 2, 3].map((item) => batcher.submit(item)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('poison 2'));
  });

  it('rejects every item of a batch that failed as a whole, and keeps going', async () => {
    let calls = 0;
    const batcher = new GroupCommit<number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('connection lost');
      return items.map((): ItemOutcome => ({ ok: true }));
    }, { maxBatch: 10, maxInFlight: 1 });
    await expect(batcher.submit(1)).rejects.toThrow('connection lost');
    await expect(batcher.submit(2)).resolves.toBeUndefined();
  });

  it('runs each item\'s part of a shared batch as its own caller, whoever started the batch', async () => {
    const seen: [string, string | undefined][] = [];
    const first = gate();
    const batcher = new GroupCommit<{ name: string; asCaller: <T>(work: () => T) => T }>(async (items) => {
      if (seen.length === 0) await first.opened;
      for (const item of items) seen.push([item.name, item.asCaller(() => currentContext()?.correlationId)]);
      return items.map((): ItemOutcome => ({ ok: true }));
    }, { maxBatch: 10, maxInFlight: 1 });
    const submit = (name: string) => runWithContext({ correlationId: `caller-${name}` }, () => batcher.submit({ name, asCaller: callerContext() }));

    const lone = submit('a');
    const waiting = [submit('b'), submit('c')];
    first.open();
    await Promise.all([lone, ...waiting]);
    // b and c ran in a batch that a's finished batch started: each still saw its own context.
    expect(seen).toEqual([['a', 'caller-a'], ['b', 'caller-b'], ['c', 'caller-c']]);
  });
});
