import { fileURLToPath } from 'node:url';
import { asClass, asFunction } from 'awilix';
import { defineModule, type ModuleContainer } from '../../src/app/module-definition.js';
import { provideFacade } from '../../src/app/module-facades.js';
import { CardVault, parseKeyring } from './card-vault.js';
import { Charges } from './charges.js';
import { PaymentFailed, PaymentProcessed, PaymentServiceApi, RefundProcessed } from './contract.js';
import { paymentGatewayPolicy } from './gateway/payment-gateway-policy.js';
import { SandboxGateway } from './gateway/sandbox-gateway.js';
import { paymentSubscriptions } from './handlers.js';
import { paymentRoutes } from './http.js';
import { PaymentCancellations } from './payment-cancellations.js';
import { paymentFacade } from './payment-facade.js';
import { PaymentMethodRepository } from './payment-method-repository.js';
import { PaymentMethods } from './payment-methods.js';
import { PaymentQueries } from './payment-queries.js';
import { PaymentRepository } from './payment-repository.js';
import { PaymentRequests } from './payment-requests.js';
import type { PaymentServices } from './payment-services.js';
import { RefundRepository } from './refund-repository.js';
import { Refunds } from './refunds.js';
import { chargePayment } from './saga/charge-payment.js';
import { refundPayment } from './saga/refund-payment.js';

export * from './contract.js';

/** Saved cards, charges and refunds through a card gateway (the sandbox by default). Owns schema `payments`. */
export const paymentModule = defineModule({
  name: 'payment',
  schema: 'payments',
  migrations: fileURLToPath(new URL('../../migrations/payments/', import.meta.url)),
  routePrefixes: ['/api/v1/payment-methods', '/api/v1/payments'],
  publishes: [PaymentProcessed, PaymentFailed, RefundProcessed],
  subscriptions: paymentSubscriptions,
  sagas: [chargePayment, refundPayment],
  register(container) {
    container.register({
      cardVault: asFunction(({ config }) => new CardVault(parseKeyring(config.PAYMENT_ENCRYPTION_KEY))).singleton(),
      paymentMethodRepository: asClass(PaymentMethodRepository).singleton(),
      paymentRepository: asClass(PaymentRepository).singleton(),
      refundRepository: asClass(RefundRepository).singleton(),
      // The default adapter; a real gateway registers here under the same name.
      paymentGateway: asClass(SandboxGateway).singleton(),
      paymentGatewayPolicy: asFunction(({ config, log }) => paymentGatewayPolicy({
        attempts: config.PAYMENT_GATEWAY_ATTEMPTS, timeoutMs: config.PAYMENT_GATEWAY_TIMEOUT_MS, log,
      })).singleton(),
      paymentMethods: asClass(PaymentMethods).singleton(),
      paymentRequests: asClass(PaymentRequests).singleton(),
      charges: asClass(Charges).singleton(),
      refunds: asClass(Refunds).singleton(),
      paymentCancellations: asClass(PaymentCancellations).singleton(),
      paymentQueries: asClass(PaymentQueries).singleton(),
    });
  },
  facade: provideFacade(PaymentServiceApi, (container: ModuleContainer) => paymentFacade(container.cradle as unknown as PaymentServices)),
  routes: paymentRoutes,
});
