import type { RedisClient } from '../../src/events/redis-connection.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface ThrottleSettings {
  redis: RedisClient;
  keyPrefix: string;
  maxAttempts: number;
  windowSeconds: number;
}

/**
 * Counts login attempts per (email, client address) in Redis, shared by every instance.
 * While Redis is unreachable an in-process limiter stands in, so logins neither fail nor go unlimited.
 */
export class LoginThrottle {
  private readonly limiter: RateLimiterRedis;

  constructor(settings: ThrottleSettings) {
    this.limiter = new RateLimiterRedis({
      storeClient: settings.redis,
      keyPrefix: settings.keyPrefix,
      points: settings.maxAttempts,
      duration: settings.windowSeconds,
      insuranceLimiter: new RateLimiterMemory({ points: settings.maxAttempts, duration: settings.windowSeconds }),
    });
  }

  /** Resolves when an attempt is allowed; otherwise returns the seconds to wait. */
  async attempt(email: string, clientAddress: string): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
    try {
      await this.limiter.consume(this.key(email, clientAddress));
      return { allowed: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
      throw rejection;
    }
  }

  /** A successful login clears the count, so a user who mistyped twice starts fresh. */
  async succeeded(email: string, clientAddress: string): Promise<void> {
    await this.limiter.delete(this.key(email, clientAddress)).catch(() => undefined);
  }

  private key(email: string, clientAddress: string): string {
    return `${email}|${clientAddress}`;
  }
}
