import type { AccessTokens, IssuedToken } from '../../src/security/access-tokens.js';
import { normalizeEmail } from './domain/email-address.js';
import { InvalidCredentials, LoginThrottled } from './domain/user-problems.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import type { UserRepository } from './repository.js';
import type { UserCradle } from './user-services.js';

/** Exchanges email and password for an access token. */
export class Login {
  private readonly users: UserRepository;
  private readonly passwords: PasswordHasher;
  private readonly throttle: LoginThrottle;
  private readonly tokens: AccessTokens;

  constructor(deps: Pick<UserCradle, 'userRepository' | 'passwordHasher' | 'loginThrottle' | 'tokens'>) {
    this.users = deps.userRepository;
    this.passwords = deps.passwordHasher;
    this.throttle = deps.loginThrottle;
    this.tokens = deps.tokens;
  }

  async login(credentials: { email: string; password: string }, clientAddress: string): Promise<IssuedToken> {
    const email = normalizeEmail(credentials.email);
    const attempt = await this.throttle.attempt(email, clientAddress);
    if (!attempt.allowed) {
      throw LoginThrottled(`Try again in ${attempt.retryAfterSeconds} s`, { retryAfterSeconds: attempt.retryAfterSeconds }, { 'Retry-After': String(attempt.retryAfterSeconds) });
    }
    const user = await this.users.findByEmail(email);
    if (!(await this.passwords.verifyOrWaste(user?.passwordHash, credentials.password)) || !user) throw InvalidCredentials();
    await this.throttle.succeeded(email, clientAddress);
    return this.tokens.issue({ userId: user.id, role: user.role });
  }
}
