/** What one or more closed-loop slices measured. */
export interface LoopResult {
  completed: number;
  elapsedMs: number;
  perSec: number;
  /** CPU time of this whole process meanwhile (engine, drivers, callers), user + system */
  cpuMs: number;
  /** start → finished of every unit, raw, for percentiles */
  latenciesMs: number[];
}

/**
 * Closed-loop load: `callers` that each start one unit of work, wait until it has finished,
 * then start the next, until `seconds` have passed. The offered concurrency is the number
 * of callers whatever the engine under test does, so two engines are compared at the same
 * load. The clock stops when the last caller's unit has finished, so every counted unit
 * both started and finished inside the measured time. `stop` ends it early (Ctrl-C).
 */
export async function closedLoop(callers: number, seconds: number, unit: () => Promise<void>, stop?: AbortSignal): Promise<LoopResult> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const until = started + seconds * 1000;
  await Promise.all(Array.from({ length: callers }, async () => {
    while (performance.now() < until && !stop?.aborted) {
      const unitStarted = performance.now();
      await unit();
      latenciesMs.push(performance.now() - unitStarted);
    }
  }));
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { completed: latenciesMs.length, elapsedMs, perSec: latenciesMs.length / (elapsedMs / 1000), cpuMs: (cpu.user + cpu.system) / 1000, latenciesMs };
}

/** Slices of one side taken at different times, as one measurement. */
export function combined(slices: readonly LoopResult[]): LoopResult {
  const completed = slices.reduce((sum, slice) => sum + slice.completed, 0);
  const elapsedMs = slices.reduce((sum, slice) => sum + slice.elapsedMs, 0);
  const cpuMs = slices.reduce((sum, slice) => sum + slice.cpuMs, 0);
  return { completed, elapsedMs, perSec: completed / (elapsedMs / 1000), cpuMs, latenciesMs: slices.flatMap((slice) => slice.latenciesMs) };
}
