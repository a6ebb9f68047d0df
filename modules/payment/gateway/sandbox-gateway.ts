import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import { newId } from '../../../src/db/new-id.js';
import { PreparedStatement } from '../../../src/db/prepared-statement.js';
import type { Config } from '../../../src/config/config.js';
import { decideCharge, type SandboxDecision } from './sandbox-cards.js';
import {
  gatewayRejected, gatewayTimedOut, gatewayUnavailable,
  type ChargeAnswer, type ChargeRequest, type PaymentGateway, type RefundAnswer, type RefundRequest,
} from './payment-gateway.js';

const LEDGER = 'sandbox_gateway_ledger';

/** Counts a call under its key, run by every charge: the first call's answer, when it has one already, is stored with it. */
const TOUCH = new PreparedStatement<LedgerRow>('sandbox-ledger-touch',
  `INSERT INTO ${LEDGER} AS l (idempotency_key, operation, amount_cents, attempts, charge_id, answer, answered_at)
   VALUES (?, ?, ?, 1, ?, ?::jsonb, CASE WHEN ?::boolean THEN CURRENT_TIMESTAMP END)
   ON CONFLICT (idempotency_key) DO UPDATE SET attempts = l.attempts + 1
   RETURNING idempotency_key, operation, attempts, amount_cents, charge_id, answer`,
);

interface LedgerRow {
  idempotency_key: string;
  operation: 'charge' | 'refund';
  attempts: number;
  amount_cents: number;
  charge_id: string | null;
  answer: ChargeAnswer | RefundAnswer | null;
}

/**
 * The built-in gateway for development and tests. Its ledger table stands in for a remote
 * gateway's memory of idempotency keys: the first answer to a key is kept and given again,
 * so a repeated charge never charges twice. It never stores a card number.
 */
export class SandboxGateway implements PaymentGateway {
  private readonly db: Knex;
  private readonly slowMs: number;

  constructor({ db, config }: { db: Knex; config: Pick<Config, 'SANDBOX_SLOW_MS'> }) {
    this.db = db;
    this.slowMs = config.SANDBOX_SLOW_MS;
  }

  async charge(request: ChargeRequest): Promise<ChargeAnswer> {
    request.signal?.throwIfAborted();
    // A card whose answer does not depend on the call count (approve, decline) is answered as
    // the key is first counted, in one statement; a key seen before keeps its first answer.
    const immediate = answerOf(decideCharge(request.cardNumber, 1));
    const row = await this.touch(request.idempotencyKey, 'charge', request.amountCents, this.db, null, immediate);
    if (row.answer) return row.answer as ChargeAnswer;
    const decision = decideCharge(request.cardNumber, row.attempts);
    if (decision.kind === 'unavailable') throw gatewayUnavailable('sandbox gateway: temporarily unavailable');
    if (decision.kind === 'slow') await this.wait(request.signal);
    // The slow card approves, once it has taken its time.
    const answer = answerOf(decision.kind === 'slow' ? { kind: 'approve' } : decision)!;
    return (await this.answer(request.idempotencyKey, answer, answer.status === 'approved' ? answer.chargeId : null)) as ChargeAnswer;
  }

  async refund(request: RefundRequest): Promise<RefundAnswer> {
    request.signal?.throwIfAborted();
    // The remote's own transaction: the charge row's lock keeps two refunds from both fitting.
    return this.db.transaction(async (trx) => {
      const charge = await trx<LedgerRow>(LEDGER).where({ operation: 'charge', charge_id: request.chargeId }).forUpdate().first();
      if (!charge) throw gatewayRejected('sandbox gateway: no such charge');
      const row = await this.touch(request.idempotencyKey, 'refund', request.amountCents, trx, request.chargeId);
      if (row.answer) return row.answer as RefundAnswer;
      const [refunds] = await trx(LEDGER).where({ operation: 'refund', charge_id: request.chargeId }).whereNotNull('answer').sum({ refunded: 'amount_cents' });
      if (Number(refunds?.refunded ?? 0) + request.amountCents > charge.amount_cents) throw gatewayRejected('sandbox gateway: the refunds would exceed the charge');
      return (await this.answer(request.idempotencyKey, { refundId: `re_${newId()}` }, request.chargeId, trx)) as RefundAnswer;
    });
  }

  /**
   * Counts the call under its key; a key reused for another operation or amount is refused, as
   * real gateways do. `firstAnswer` is stored only when this call is the key's first.
   */
  private async touch(
    key: string, operation: LedgerRow['operation'], amountCents: number, db: Knex | Knex.Transaction = this.db, chargeId: string | null = null, firstAnswer?: ChargeAnswer,
  ): Promise<LedgerRow> {
    const storedChargeId = firstAnswer?.status === 'approved' ? firstAnswer.chargeId : chargeId;
    const { rows: [row] } = await TOUCH.run(db, [key, operation, amountCents, storedChargeId, firstAnswer ? JSON.stringify(firstAnswer) : null, firstAnswer !== undefined]);
    if (row!.operation !== operation || row!.amount_cents !== amountCents) {
      throw gatewayRejected('sandbox gateway: idempotency key reused with different parameters');
    }
    return row!;
  }

  /** Keeps the first answer: when two calls with one key race, both return the winner's. */
  private async answer(key: string, answer: ChargeAnswer | RefundAnswer, chargeId: string | null, db: Knex | Knex.Transaction = this.db): Promise<ChargeAnswer | RefundAnswer> {
    const [stored] = (await db(LEDGER)
      .where({ idempotency_key: key }).whereNull('answer')
      .update({ answer: JSON.stringify(answer), charge_id: chargeId, answered_at: db.fn.now() })
      .returning('answer')) as { answer: ChargeAnswer | RefundAnswer }[];
    if (stored) return stored.answer;
    const first = (await db<LedgerRow>(LEDGER).where({ idempotency_key: key }).first('answer'))!;
    return first.answer!;
  }

  private async wait(signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(this.slowMs, undefined, signal ? { signal } : {});
    } catch (error) {
      // The caller stopped waiting: like a remote that notices the dropped connection, nothing is recorded.
      if (signal?.aborted) throw gatewayTimedOut('sandbox gateway: the caller gave up waiting');
      throw error;
    }
  }
}

/** The answer a decision gives at once; none for a call that fails or takes its time. */
function answerOf(decision: SandboxDecision): ChargeAnswer | undefined {
  if (decision.kind === 'decline') return { status: 'declined', reason: decision.reason, message: decision.message };
  if (decision.kind === 'approve') return { status: 'approved', chargeId: `ch_${newId()}` };
  return undefined;
}
