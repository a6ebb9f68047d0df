import type { Resolver } from 'awilix';
import type { ModuleContainer, ModuleKernel } from '../../src/app/module-definition.js';
import type { UserAccounts } from './accounts.js';
import type { Login } from './login.js';
import type { LoginThrottle } from './login-throttle.js';
import type { PasswordHasher } from './password-hasher.js';
import type { UserRepository } from './repository.js';
import type { UserDirectory } from './user-directory.js';

/** The user module's private services, under the names they are registered by (declared once, here). */
export interface UserServices {
  userRepository: UserRepository;
  passwordHasher: PasswordHasher;
  loginThrottle: LoginThrottle;
  userAccounts: UserAccounts;
  userDirectory: UserDirectory;
  login: Login;
}

/** Everything a user service can be given: the kernel's services and the module's own. */
export type UserCradle = ModuleKernel & UserServices;

/** Exactly one resolver per service: a renamed, missing or extra registration fails to compile. */
export type UserRegistrations = { [Name in keyof UserServices]: Resolver<UserServices[Name]> };

/**
 * The module container seen through its cradle type, for code outside a request (the seed).
 * @example await userCradleOf(container).userAccounts.register(admin, 'admin')
 */
export function userCradleOf(container: ModuleContainer): UserCradle {
  // Sound because index.ts registers exactly `UserRegistrations`; the container type cannot know that.
  return container.cradle as unknown as UserCradle;
}
