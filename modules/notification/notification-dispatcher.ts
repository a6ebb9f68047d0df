import type { Knex } from 'knex';
import type { Logger } from '../../src/observability/logger.js';
import { isPermanentRejection, type NotificationChannel } from './channels/notification-channel.js';
import { afterFailedAttempt } from './domain/retry-schedule.js';
import type { ClaimedMessage, PendingDeliveries } from './pending-deliveries.js';
import { Nap } from './nap.js';

/** Most messages claimed by one sweep; the next sweep follows at once when it was full. */
const SWEEP_BATCH = 50;
/** Nap bounds while something is pending: never spin on a row another process holds, never lose sight for long. */
const MIN_NAP_MS = 100;
const MAX_NAP_MS = 30_000;
/** After the database failed a sweep: wait, then try again rather than give up the pending messages. */
const NAP_AFTER_ERROR_MS = 5_000;
/** While this process notifies, it also looks for messages other runs left behind at least this often. */
const SWEEP_AT_LEAST_EVERY_MS = 60_000;

/**
 * Sends recorded messages without holding any transaction open on a network call: the
 * handler records them as pending, and they are sent once (and only if) its transaction
 * commits. A sweep takes what is left pending (a failed attempt's retry, a message a crash
 * left behind) and stops by itself once nothing is pending.
 *
 * `start()` (the module's start hook) sweeps once, which picks up what a crashed run left
 * behind; later sweeps are woken by a failed attempt, and at least every minute while this
 * process records notifications. `stop()` (the container's disposer) waits for sends in
 * flight and closes the transports.
 */
export class NotificationDispatcher {
  private readonly deliveries: PendingDeliveries;
  private readonly channels: NotificationChannel;
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly nap = new Nap();
  private sweeping: Promise<void> | undefined;
  /** the sweep's pass under way, if it is not napping */
  private pass: Promise<number | undefined> | undefined;
  /** set by every wake-up; a pass that ends with it set is followed by another at once */
  private wanted = false;
  private lastSweepEndedAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(deps: { pendingDeliveries: PendingDeliveries; notificationChannels: NotificationChannel; log: Logger }) {
    this.deliveries = deps.pendingDeliveries;
    this.channels = deps.notificationChannels;
    this.log = deps.log;
  }

  /**
   * Sends the messages `trx` recorded once it commits. After a rollback nothing is sent:
   * the delivery is retried (alone, if it was part of a group) and records them again.
   */
  dispatchAfterCommit(trx: Knex.Transaction, ids: readonly string[]): void {
    if (ids.length === 0 && !this.sweepOverdue()) return;
    this.track(trx.executionPromise.then(() => this.dispatch(ids), () => undefined));
  }

  /** Sends whatever an earlier run left pending; the sweep stops by itself once nothing is. */
  start(): void {
    this.wake();
  }

  /**
   * Resolves once nothing is being claimed or sent by this process; a sweep may still nap
   * until a retry or another process's lease is due.
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0 || this.pass) {
      await Promise.allSettled([...this.inFlight, this.pass]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.nap.interrupt();
    await this.settled();
    await this.sweeping;
    await this.channels.close?.();
  }

  private async dispatch(ids: readonly string[]): Promise<void> {
    if (this.stopped) return;
    let allDone = false;
    try {
      allDone = await this.sendAll(await this.deliveries.claimFresh(ids));
    } catch (error) {
      // Still pending in the database: the sweep takes them once their grace period is over.
      this.log.warn({ err: (error as Error).message }, 'could not claim recorded notifications');
    }
    if (!allDone || this.sweepOverdue()) this.wake();
  }

  private sweepOverdue(): boolean {
    return !this.sweeping && performance.now() - this.lastSweepEndedAt > SWEEP_AT_LEAST_EVERY_MS;
  }

  private wake(): void {
    this.wanted = true;
    this.nap.interrupt();
    if (this.sweeping || this.stopped) return;
    this.sweeping = this.sweep();
  }

  private async sweep(): Promise<void> {
    try {
      while (!this.stopped) {
        this.wanted = false;
        this.pass = this.sweepOnce();
        const waitMs = await this.pass;
        this.pass = undefined;
        // Woken during the pass (a retry just scheduled, say): look again before napping or stopping.
        if (this.wanted) continue;
        if (waitMs === undefined) return;
        // Checked in the same turn as the nap begins, so a stop during the pass is not slept through.
        if (waitMs > 0 && !this.stopped) await this.nap.sleep(Math.min(waitMs, MAX_NAP_MS));
      }
    } finally {
      // Runs in the same turn as the last check of `wanted`, so no wake-up slips in between.
      this.sweeping = undefined;
      this.pass = undefined;
      this.lastSweepEndedAt = performance.now();
    }
  }

  /** One pass; returns how long to wait for the next (0: a full batch, go on), or undefined when nothing is pending. */
  private async sweepOnce(): Promise<number | undefined> {
    try {
      const due = await this.deliveries.claimDue(SWEEP_BATCH);
      await this.sendAll(due);
      if (due.length === SWEEP_BATCH) return 0;
      const waitMs = await this.deliveries.msUntilNextDue();
      return waitMs === undefined ? undefined : Math.max(waitMs, MIN_NAP_MS);
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'notification sweep failed; trying again');
      return NAP_AFTER_ERROR_MS;
    }
  }

  /** Whether every message is done with: sent, or failed for good. */
  private async sendAll(messages: readonly ClaimedMessage[]): Promise<boolean> {
    return (await Promise.all(messages.map((message) => this.send(message)))).every(Boolean);
  }

  /**
   * Never throws: the message ends sent, failed for good, scheduled for a retry, or (if its
   * outcome could not be recorded) leased until the sweep takes it again. True for the first two.
   */
  private async send(message: ClaimedMessage): Promise<boolean> {
    const context = { notificationId: message.id, channel: message.channel, attempt: message.attempts };
    try {
      let accepted;
      try {
        accepted = await this.channels.send(message);
      } catch (error) {
        const next = afterFailedAttempt(message.attempts, isPermanentRejection(error));
        this.log.warn({ ...context, next, err: (error as Error).message }, 'giveUp' in next ? 'notification failed for good' : 'notification not sent; will retry');
        await this.deliveries.markAttemptFailed(message.id, next, (error as Error).message);
        return 'giveUp' in next;
      }
      await this.deliveries.markSent(message.id, accepted.transport);
      return true;
    } catch (error) {
      // The lease runs out and the message is tried again; if it had been accepted, the resend carries the same Message-ID.
      this.log.error({ ...context, err: (error as Error).message }, 'could not record the outcome of a notification');
      return false;
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.log.error({ err: error }, 'notification dispatch failed'))
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}
