import { Pipeline, Redis } from 'ioredis';

interface SentCommand {
  name: string;
  args: unknown[];
}

interface Scripted {
  scriptsSet?: Record<string, { sha: string }>;
}

/**
 * Counts what every ioredis connection of this process sends (BullMQ's included): commands by
 * name, a Lua script by the name it was defined under, and round trips, where a pipeline or
 * MULTI is one round trip however many commands it carries. Installed once per process, by
 * patching ioredis itself, so connections made later (workers open their own) are counted too.
 * @example const redis = RedisCommandCounter.install(); … redis.roundTrips
 */
export class RedisCommandCounter {
  private static installed: RedisCommandCounter | undefined;
  readonly commands = new Map<string, number>();
  roundTrips = 0;
  /** connections whose commands are not counted (the tool's own) */
  private readonly ignored = new WeakSet<object>();

  static install(): RedisCommandCounter {
    if (RedisCommandCounter.installed) return RedisCommandCounter.installed;
    const counter = new RedisCommandCounter();
    const sendCommand = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function patched(this: Redis, command: SentCommand, stream?: unknown, ...rest: unknown[]) {
      // A second argument means the command is part of a pipeline, whose exec is the round trip.
      if (!counter.ignored.has(this)) counter.count(this as unknown as Scripted, command, stream === undefined);
      return (sendCommand as (...args: unknown[]) => unknown).call(this, command, stream, ...rest) as ReturnType<typeof sendCommand>;
    } as typeof sendCommand;
    const exec = Pipeline.prototype.exec;
    Pipeline.prototype.exec = function patched(this: Pipeline & { redis?: object }, ...args: unknown[]) {
      if (!this.redis || !counter.ignored.has(this.redis)) counter.roundTrips += 1;
      return (exec as (...a: unknown[]) => unknown).apply(this, args) as ReturnType<typeof exec>;
    } as typeof exec;
    RedisCommandCounter.installed = counter;
    return counter;
  }

  ignore(connection: object): void {
    this.ignored.add(connection);
  }

  reset(): void {
    this.commands.clear();
    this.roundTrips = 0;
  }

  get total(): number {
    return [...this.commands.values()].reduce((sum, n) => sum + n, 0);
  }

  private count(connection: Scripted, command: SentCommand, alone: boolean): void {
    let name = command.name.toLowerCase();
    if (name === 'evalsha' || name === 'eval') {
      const sha = String(command.args[0]);
      const script = Object.entries(connection.scriptsSet ?? {}).find(([, defined]) => defined.sha === sha)?.[0];
      name = `script ${script ?? '?'}`;
    }
    this.commands.set(name, (this.commands.get(name) ?? 0) + 1);
    if (alone) this.roundTrips += 1;
  }
}
