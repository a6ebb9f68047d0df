import type { PaymentCancellation } from './contract.js';
import { decideCancellation } from './domain/payment-status.js';
import type { PaymentCradle } from './payment-services.js';

type Deps = Pick<PaymentCradle, 'db' | 'paymentRepository' | 'refundRepository' | 'refunds' | 'log'>;

/**
 * Makes sure a cancelled order ends up not charged, whatever stage its payment is at.
 * Idempotent: asking again answers from the state the first call left.
 */
export class PaymentCancellations {
  constructor(private readonly deps: Deps) {}

  cancel(command: { orderId: string; reason: string }): Promise<PaymentCancellation> {
    const { paymentRepository, refundRepository, refunds } = this.deps;
    return this.deps.db.transaction(async (trx) => {
      // The same lock PaymentRequested takes: a request and a cancellation never pass each other.
      await paymentRepository.lockOrder(trx, command.orderId);
      const payment = await paymentRepository.findByOrder(command.orderId, trx, true);
      const pending = payment ? await refundRepository.pendingCents(trx, payment.id) : 0;
      const { action, answer } = decideCancellation(payment, pending);
      switch (action.kind) {
        case 'remember-order':
          await paymentRepository.rememberCancelledOrder(trx, command.orderId, command.reason);
          break;
        case 'cancel-before-charge':
          await paymentRepository.update(trx, payment!.id, { status: 'CANCELLED', cancelReason: command.reason });
          break;
        case 'flag-in-flight':
          await paymentRepository.update(trx, payment!.id, { cancelRequested: true, cancelReason: command.reason });
          break;
        case 'refund': {
          const flagged = await paymentRepository.update(trx, payment!.id, { cancelRequested: true, cancelReason: command.reason });
          await refunds.open(trx, flagged, { amountCents: action.amountCents, reason: 'order-cancelled' });
          break;
        }
        case 'none':
          break;
      }
      this.deps.log.info({ orderId: command.orderId, outcome: answer.status }, 'payment cancellation');
      return answer;
    });
  }
}
