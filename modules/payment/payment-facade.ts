import type { PaymentService } from './contract.js';
import type { PaymentServices } from './payment-services.js';

/**
 * What other modules may ask of payments (`PaymentServiceApi`), built from the module's
 * own services; an extracted payment service's HTTP client will implement the same interface.
 */
export function paymentFacade({ paymentMethods, paymentCancellations }: Pick<PaymentServices, 'paymentMethods' | 'paymentCancellations'>): PaymentService {
  return {
    isUsablePaymentMethod: (query) => paymentMethods.isUsable(query),
    cancelPayment: (command) => paymentCancellations.cancel(command),
  };
}
