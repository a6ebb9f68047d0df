import type { Knex } from 'knex';
import type { CardBrand } from './contract.js';
import type { SealedCard } from './card-vault.js';

interface PaymentMethodRow {
  id: string;
  customer_id: string;
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
  card_key_id: string;
  card_iv: Buffer;
  card_auth_tag: Buffer;
  card_ciphertext: Buffer;
  created_at: Date;
}

/** A saved card as the module holds it: public details in clear, the number sealed. */
export interface StoredPaymentMethod {
  id: string;
  customerId: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  sealed: SealedCard;
  createdAt: string;
}

export type NewPaymentMethod = Omit<StoredPaymentMethod, 'createdAt'>;

const toPaymentMethod = (row: PaymentMethodRow): StoredPaymentMethod => ({
  id: row.id,
  customerId: row.customer_id,
  brand: row.brand,
  last4: row.last4,
  expMonth: row.exp_month,
  expYear: row.exp_year,
  sealed: { keyId: row.card_key_id, iv: row.card_iv, authTag: row.card_auth_tag, ciphertext: row.card_ciphertext },
  createdAt: row.created_at.toISOString(),
});

/** SQL for saved cards. */
export class PaymentMethodRepository {
  private readonly db: Knex;

  constructor({ db }: { db: Knex }) {
    this.db = db;
  }

  async insert(method: NewPaymentMethod): Promise<StoredPaymentMethod> {
    const [row] = await this.db<PaymentMethodRow>('payment_methods')
      .insert({
        id: method.id, customer_id: method.customerId, brand: method.brand, last4: method.last4,
        exp_month: method.expMonth, exp_year: method.expYear, card_key_id: method.sealed.keyId,
        card_iv: method.sealed.iv, card_auth_tag: method.sealed.authTag, card_ciphertext: method.sealed.ciphertext,
      })
      .returning('*');
    return toPaymentMethod(row as PaymentMethodRow);
  }

  async find(id: string, trx?: Knex.Transaction): Promise<StoredPaymentMethod | undefined> {
    const row = await (trx ?? this.db)<PaymentMethodRow>('payment_methods').where({ id }).first();
    return row ? toPaymentMethod(row) : undefined;
  }

  async listOf(customerId: string): Promise<StoredPaymentMethod[]> {
    const rows = await this.db<PaymentMethodRow>('payment_methods').where({ customer_id: customerId }).orderBy('id');
    return rows.map(toPaymentMethod);
  }
}
