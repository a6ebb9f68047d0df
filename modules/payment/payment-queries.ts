import type { Principal } from '../../src/security/access-tokens.js';
import type { CardBrand, PaymentFailureReason } from './contract.js';
import type { PaymentStatus } from './domain/payment-status.js';
import type { PaymentRepository } from './payment-repository.js';

export interface PaymentView {
  id: string;
  orderId: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  refundedCents: number;
  brand: CardBrand | null;
  last4: string | null;
  failureReason: PaymentFailureReason | null;
  createdAt: string;
  updatedAt: string;
}

/** Reads for the API: a customer sees the payments of their own orders; an admin sees any. */
export class PaymentQueries {
  private readonly payments: PaymentRepository;

  constructor({ paymentRepository }: { paymentRepository: PaymentRepository }) {
    this.payments = paymentRepository;
  }

  async list(viewer: Principal, filter: { orderId?: string; limit: number }): Promise<PaymentView[]> {
    const rows = await this.payments.list({ ...filter, ...(viewer.role === 'admin' ? {} : { customerId: viewer.userId }) });
    return rows.map((payment) => ({
      id: payment.id, orderId: payment.orderId, status: payment.status, amountCents: payment.amountCents, currency: payment.currency,
      refundedCents: payment.refundedCents, brand: payment.brand, last4: payment.last4, failureReason: payment.failureReason,
      createdAt: payment.createdAt, updatedAt: payment.updatedAt,
    }));
  }
}
