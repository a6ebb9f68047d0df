import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// Argon2id (algorithm 2) with the OWASP minimum profile: 19 MiB, 2 passes, 1 lane.
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Argon2id hashing. `verifyOrWaste` spends the same work when there is no stored hash,
 * so a login for an unknown email takes as long as one with a wrong password.
 */
export class PasswordHasher {
  private readonly decoy: Promise<string> = hash(randomBytes(32).toString('hex'), ARGON2ID);

  hash(password: string): Promise<string> {
    return hash(password, ARGON2ID);
  }

  async verifyOrWaste(storedHash: string | undefined, password: string): Promise<boolean> {
    const matches = await verify(storedHash ?? (await this.decoy), password);
    return storedHash !== undefined && matches;
  }
}
