import type { ModuleKernel } from '../../src/app/module-definition.js';
import type { CardVault } from './card-vault.js';
import type { Charges } from './charges.js';
import type { PaymentGateway } from './gateway/payment-gateway.js';
import type { PaymentGatewayPolicy } from './gateway/payment-gateway-policy.js';
import type { PaymentCancellations } from './payment-cancellations.js';
import type { PaymentMethodRepository } from './payment-method-repository.js';
import type { PaymentMethods } from './payment-methods.js';
import type { PaymentQueries } from './payment-queries.js';
import type { PaymentRepository } from './payment-repository.js';
import type { PaymentRequests } from './payment-requests.js';
import type { RefundRepository } from './refund-repository.js';
import type { Refunds } from './refunds.js';

/** The payment module's own registrations (index.ts), typed for `cradleOf` and saga steps. */
export interface PaymentServices {
  cardVault: CardVault;
  paymentMethodRepository: PaymentMethodRepository;
  paymentRepository: PaymentRepository;
  refundRepository: RefundRepository;
  paymentGateway: PaymentGateway;
  paymentGatewayPolicy: PaymentGatewayPolicy;
  paymentMethods: PaymentMethods;
  paymentRequests: PaymentRequests;
  charges: Charges;
  refunds: Refunds;
  paymentCancellations: PaymentCancellations;
  paymentQueries: PaymentQueries;
}

/** What a payment saga step gets as `ctx.services`: the module's container. */
export type PaymentCradle = PaymentServices & ModuleKernel;
