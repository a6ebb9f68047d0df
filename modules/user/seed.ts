import type { ModuleContainer, SeedOptions } from '../../src/app/module-definition.js';
import { Problem } from '../../src/http/problem.js';
import { normalizeEmail } from './domain/email-address.js';
import { userCradleOf } from './user-services.js';

export const DEMO_CUSTOMER = { email: 'customer@example.com', password: 'customer-dev-password', firstName: 'Demo', lastName: 'Customer' };

async function registerUnlessPresent(container: ModuleContainer, registration: typeof DEMO_CUSTOMER, role: 'customer' | 'admin'): Promise<'created' | 'present'> {
  try {
    await userCradleOf(container).userAccounts.register(registration, role);
    return 'created';
  } catch (error) {
    if (error instanceof Problem && error.status === 409) return 'present';
    throw error;
  }
}

/**
 * The admin from ADMIN_EMAIL/ADMIN_PASSWORD always exists and has the admin role; an
 * existing account keeps its password, so changing the variable later does not lock anyone out.
 */
export async function seedUsers(container: ModuleContainer, options: SeedOptions): Promise<void> {
  const { config, log } = container.cradle;
  const admin = { email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD, firstName: 'Admin', lastName: 'User' };
  if ((await registerUnlessPresent(container, admin, 'admin')) === 'present') {
    const repository = userCradleOf(container).userRepository;
    const existing = await repository.findByEmail(normalizeEmail(admin.email));
    if (existing && existing.role !== 'admin') {
      await container.cradle.db.transaction((trx) => repository.update(trx, existing.id, { role: 'admin' }));
    }
  } else {
    log.info({ email: admin.email }, 'seeded the admin user');
  }
  if (options.demoData && (await registerUnlessPresent(container, DEMO_CUSTOMER, 'customer')) === 'created') {
    log.info({ email: DEMO_CUSTOMER.email }, 'seeded the demo customer');
  }
}
