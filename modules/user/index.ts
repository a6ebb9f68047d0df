import { fileURLToPath } from 'node:url';
import { asClass, asFunction } from 'awilix';
import { defineModule } from '../../src/app/module-definition.js';
import { UserAccounts } from './accounts.js';
import { UserProfileUpdated, UserRegistered } from './contract.js';
import { Login } from './login.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { UserRepository } from './repository.js';
import { seedUsers } from './seed.js';
import { UserDirectory } from './user-directory.js';
import { userRoutes } from './http.js';
import type { UserCradle, UserRegistrations } from './user-services.js';

export * from './contract.js';
/** the demo account `npm run dev` seeds and announces */
export { DEMO_CUSTOMER } from './seed.js';

/** Accounts, sign-in and profiles. Owns schema `users`. */
export const userModule = defineModule({
  name: 'user',
  schema: 'users',
  migrations: fileURLToPath(new URL('../../migrations/users/', import.meta.url)),
  routePrefixes: ['/api/v1/auth', '/api/v1/users'],
  publishes: [UserRegistered, UserProfileUpdated],
  register(container) {
    container.register({
      userRepository: asClass(UserRepository).singleton(),
      passwordHasher: asClass(PasswordHasher).singleton(),
      loginThrottle: asFunction(({ redis, config }: UserCradle) => new LoginThrottle({
        redis, keyPrefix: `${config.REDIS_PREFIX}:login`, maxAttempts: config.LOGIN_MAX_ATTEMPTS, windowSeconds: config.LOGIN_WINDOW_SECONDS,
      })).singleton(),
      userAccounts: asClass(UserAccounts).singleton(),
      userDirectory: asClass(UserDirectory).singleton(),
      login: asClass(Login).singleton(),
    } satisfies UserRegistrations);
  },
  routes: userRoutes,
  seed: seedUsers,
});
