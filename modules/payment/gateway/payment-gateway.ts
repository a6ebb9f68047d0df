/**
 * What the payment module needs from a card gateway. Every call carries an idempotency
 * key: the gateway answers a repeated key with its first answer, so a call repeated after
 * a timeout or a crash never charges or refunds twice.
 */
export interface PaymentGateway {
  charge(request: ChargeRequest): Promise<ChargeAnswer>;
  refund(request: RefundRequest): Promise<RefundAnswer>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  cardNumber: string;
  /** aborted when the caller stops waiting (a timeout); the gateway then gives up too */
  signal?: AbortSignal;
}

/** A decline is an answer, not an error: retrying it would decline again. */
export type ChargeAnswer =
  | { status: 'approved'; chargeId: string }
  | { status: 'declined'; reason: 'declined' | 'insufficient-funds'; message: string };

export interface RefundRequest {
  idempotencyKey: string;
  chargeId: string;
  amountCents: number;
  signal?: AbortSignal;
}

export interface RefundAnswer {
  refundId: string;
}

const GATEWAY_FAILURE = Symbol.for('commerce.payment.gateway-failure');

export type GatewayFailureCode = 'unavailable' | 'timeout' | 'rejected';

/**
 * A call that got no usable answer. Recognised by its brand, not `instanceof`, so a
 * failure from another copy of this module (an extracted service's client) still counts.
 */
export class GatewayFailure extends Error {
  readonly [GATEWAY_FAILURE] = true;

  constructor(readonly code: GatewayFailureCode, readonly retryable: boolean, message: string) {
    super(message);
    this.name = 'GatewayFailure';
  }
}

export function isGatewayFailure(error: unknown): error is GatewayFailure {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[GATEWAY_FAILURE] === true;
}

/** Worth another try with the same idempotency key: the gateway was down or slow, not against us. */
export function isRetryableGatewayFailure(error: unknown): boolean {
  return isGatewayFailure(error) && error.retryable;
}

/** @example throw gatewayUnavailable('503 from the gateway') */
export const gatewayUnavailable = (message: string) => new GatewayFailure('unavailable', true, message);
export const gatewayTimedOut = (message: string) => new GatewayFailure('timeout', true, message);
/** The gateway refused the request itself (unknown charge, refund above the charge): not retried. */
export const gatewayRejected = (message: string) => new GatewayFailure('rejected', false, message);
