/** How the sandbox gateway treats a card: the documented test cards, and "approve" for any other. */
export type SandboxBehaviour = 'approve' | 'decline' | 'insufficient-funds' | 'transient' | 'slow';

export const SANDBOX_CARDS: Readonly<Record<string, SandboxBehaviour>> = {
  '4242424242424242': 'approve',
  '4000000000000002': 'decline',
  '4000000000009995': 'insufficient-funds',
  '4000000000000119': 'transient',
  '4000000000006975': 'slow',
};

/** How many calls with one idempotency key the transient card fails before it approves. */
export const TRANSIENT_FAILURES = 2;

export function sandboxBehaviour(cardNumber: string): SandboxBehaviour {
  return SANDBOX_CARDS[cardNumber] ?? 'approve';
}

export type SandboxDecision =
  | { kind: 'approve' }
  | { kind: 'decline'; reason: 'declined' | 'insufficient-funds'; message: string }
  | { kind: 'unavailable' }
  | { kind: 'slow' };

/**
 * What the sandbox does on the `attempt`-th call (1-based) with one idempotency key.
 * @example decideCharge('4000000000000119', 3) // { kind: 'approve' }
 */
export function decideCharge(cardNumber: string, attempt: number): SandboxDecision {
  switch (sandboxBehaviour(cardNumber)) {
    case 'decline': return { kind: 'decline', reason: 'declined', message: 'the card was declined' };
    case 'insufficient-funds': return { kind: 'decline', reason: 'insufficient-funds', message: 'insufficient funds' };
    case 'transient': return attempt <= TRANSIENT_FAILURES ? { kind: 'unavailable' } : { kind: 'approve' };
    case 'slow': return { kind: 'slow' };
    case 'approve': return { kind: 'approve' };
  }
}
