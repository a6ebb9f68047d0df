import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** A card number as stored: AES-256-GCM ciphertext with what it takes to open it again. */
export interface SealedCard {
  /** which key of the keyring sealed it, so older keys keep opening old rows after a rotation */
  keyId: string;
  iv: Buffer;
  authTag: Buffer;
  ciphertext: Buffer;
}

/** What a sealed card is bound to: a row copied to another payment method or customer fails to open. */
export interface CardBinding {
  paymentMethodId: string;
  customerId: string;
}

export interface Keyring {
  /** the key new cards are sealed with */
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

const ALGORITHM = 'aes-256-gcm';
// 96-bit random IVs are GCM's recommended size (NIST SP 800-38D); a fresh one per card.
const IV_BYTES = 12;
const KEY_BYTES = 32;

export class UnknownCardKey extends Error {
  override readonly name = 'UnknownCardKey';
}

/**
 * Reads `PAYMENT_ENCRYPTION_KEY`: `<key id>:<32 bytes base64>[,<older key id>:<key>…]`.
 * The first key seals; every listed key opens, which is how a key is rotated.
 * @example parseKeyring('k2:<base64>,k1:<base64>').current // 'k2'
 */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  for (const entry of spec.split(',')) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (separator < 1 || key.length !== KEY_BYTES) throw new Error(`payment key "${id || '?'}" must be <key id>:<32 bytes in base64>`);
    if (keys.has(id)) throw new Error(`payment key id "${id}" is listed twice`);
    keys.set(id, key);
  }
  return { current: [...keys.keys()][0]!, keys };
}

const associatedData = (binding: CardBinding): Buffer =>
  Buffer.from(`payment-method:${binding.paymentMethodId}|customer:${binding.customerId}`, 'utf8');

/**
 * Seals and opens card numbers. The vault is the only code that sees a key; callers get
 * the number back only to hand it to the gateway, never to show or log it.
 * @example const sealed = vault.seal('4242424242424242', { paymentMethodId, customerId })
 */
export class CardVault {
  constructor(private readonly keyring: Keyring) {}

  seal(cardNumber: string, binding: CardBinding): SealedCard {
    const keyId = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keyring.keys.get(keyId)!, iv);
    cipher.setAAD(associatedData(binding));
    const ciphertext = Buffer.concat([cipher.update(cardNumber, 'utf8'), cipher.final()]);
    return { keyId, iv, authTag: cipher.getAuthTag(), ciphertext };
  }

  /** Throws when the key is unknown or the ciphertext, tag or binding was tampered with. */
  open(sealed: SealedCard, binding: CardBinding): string {
    const key = this.keyring.keys.get(sealed.keyId);
    if (!key) throw new UnknownCardKey(`no payment key "${sealed.keyId}" in PAYMENT_ENCRYPTION_KEY; keep retired keys listed until no card uses them`);
    const decipher = createDecipheriv(ALGORITHM, key, sealed.iv);
    decipher.setAAD(associatedData(binding));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}
