import { newId } from '../../src/db/new-id.js';
import type { CardBrand } from './contract.js';
import type { CardVault } from './card-vault.js';
import { isExpired } from './domain/card-expiry.js';
import { brandOf, lastFourOf } from './domain/card-number.js';
import { CardExpired } from './domain/payment-problems.js';
import type { PaymentMethodRepository, StoredPaymentMethod } from './payment-method-repository.js';

export interface NewCard {
  /** digits only, Luhn-checked by the caller's schema */
  cardNumber: string;
  expMonth: number;
  expYear: number;
  cvc: string;
}

/** All that ever leaves the module about a card. */
export interface PaymentMethodView {
  id: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const viewOf = (method: StoredPaymentMethod): PaymentMethodView => ({
  id: method.id, brand: method.brand, last4: method.last4, expMonth: method.expMonth, expYear: method.expYear,
});

/** A customer's saved cards: sealed on the way in, shown as brand and last four only. */
export class PaymentMethods {
  private readonly methods: PaymentMethodRepository;
  private readonly vault: CardVault;
  private readonly clock: () => Date;

  constructor(deps: { paymentMethodRepository: PaymentMethodRepository; cardVault: CardVault; clock: () => Date }) {
    this.methods = deps.paymentMethodRepository;
    this.vault = deps.cardVault;
    this.clock = deps.clock;
  }

  async add(customerId: string, card: NewCard): Promise<PaymentMethodView> {
    if (isExpired(card, this.clock())) throw CardExpired(`The card expired at the end of ${card.expMonth}/${card.expYear}`);
    // The CVC proves possession at entry; the sandbox has nothing to verify it against, and
    // PCI DSS forbids keeping it after authorisation, so it goes no further than this line.
    const id = newId();
    const stored = await this.methods.insert({
      id, customerId, brand: brandOf(card.cardNumber), last4: lastFourOf(card.cardNumber), expMonth: card.expMonth, expYear: card.expYear,
      sealed: this.vault.seal(card.cardNumber, { paymentMethodId: id, customerId }),
    });
    return viewOf(stored);
  }

  async list(customerId: string): Promise<PaymentMethodView[]> {
    return (await this.methods.listOf(customerId)).map(viewOf);
  }

  /** Exists, belongs to the customer and has not expired. */
  async isUsable(query: { customerId: string; paymentMethodId: string }): Promise<boolean> {
    if (!UUID.test(query.paymentMethodId)) return false;
    const method = await this.methods.find(query.paymentMethodId);
    return method !== undefined && this.usableBy(method, query.customerId);
  }

  usableBy(method: StoredPaymentMethod, customerId: string): boolean {
    return method.customerId === customerId && !isExpired(method, this.clock());
  }

  /** The number in clear, for the gateway call only; undefined when the card is gone or no longer usable. */
  async cardNumberFor(paymentMethodId: string, customerId: string): Promise<string | undefined> {
    const method = await this.methods.find(paymentMethodId);
    if (!method || !this.usableBy(method, customerId)) return undefined;
    return this.vault.open(method.sealed, { paymentMethodId: method.id, customerId: method.customerId });
  }
}
