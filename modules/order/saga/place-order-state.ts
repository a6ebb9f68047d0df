import type { OrderItem } from '../../product/index.js';

/** What the place-order saga carries from step to step (kept with the saga, so a restart resumes with it). */
export interface PlaceOrderState {
  orderId: string;
  customerId: string;
  paymentMethodId: string;
  items: OrderItem[];
  totalCents: number;
  currency: string;
  /** the product module's reservation, set once inventory is held */
  reservationId?: string;
  paymentId?: string;
}
