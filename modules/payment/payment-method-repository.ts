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

/** Saved cards this process keeps in memory at most; the oldest read goes first. */
const REMEMBERED = 10_000;

/**
 * SQL for saved cards. A saved card is never changed or deleted once inserted (this class
 * has no UPDATE or DELETE, and nothing else writes the table), so a card read once is kept
 * in memory and every later `find` of it (each order asks three times) costs no query; its
 * expiry is judged by the caller at each use, against the clock of that moment. Only cards
 * found are kept: an id not found now may still be one a moment later. Whoever adds a way to
 * change or remove a card must drop this memory, in every process, first.
 */
export class PaymentMethodRepository {
  private readonly db: Knex;
  private readonly remembered = new Map<string, StoredPaymentMethod>();

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
    const stored = toPaymentMethod(row as PaymentMethodRow);
    // A card is mostly used right after it is saved.
    this.remember(stored);
    return stored;
  }

  async find(id: string, trx?: Knex.Transaction): Promise<StoredPaymentMethod | undefined> {
    const known = this.remembered.get(id);
    if (known) return known;
    const row = await (trx ?? this.db)<PaymentMethodRow>('payment_methods').where({ id }).first();
    if (!row) return undefined;
    const method = toPaymentMethod(row);
    this.remember(method);
    return method;
  }

  private remember(method: StoredPaymentMethod): void {
    if (this.remembered.size >= REMEMBERED) this.remembered.delete(this.remembered.keys().next().value!);
    this.remembered.set(method.id, method);
  }

  async listOf(customerId: string): Promise<StoredPaymentMethod[]> {
    const rows = await this.db<PaymentMethodRow>('payment_methods').where({ customer_id: customerId }).orderBy('id');
    return rows.map(toPaymentMethod);
  }
}
