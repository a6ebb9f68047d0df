import type Router from '@koa/router';
import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ModuleKernel } from '../../src/app/module-definition.js';
import { principalOf } from '../../src/http/authenticate.js';
import { readBody, readQuery } from '../../src/http/validate.js';
import { Address, NotificationPreferences } from './contract.js';
import type { UserServices } from './user-services.js';

const Email = z.email().max(254);
// Argon2 accepts any length, but a megabyte password is a denial-of-service vector, not a secret.
const NewPassword = z.string().min(10, 'at least 10 characters').max(256);
const Name = z.string().trim().min(1).max(100);

const RegisterInput = z.strictObject({ email: Email, password: NewPassword, firstName: Name.optional(), lastName: Name.optional() });
const LoginInput = z.strictObject({ email: z.string().min(1).max(254), password: z.string().min(1).max(256) });
const ProfilePatchInput = z
  .strictObject({
    firstName: Name.nullable().optional(),
    lastName: Name.nullable().optional(),
    // Written as people do (+44 20 7946 0000, 0044 …, 020 … with an address); the use case stores E.164.
    phone: z.string().trim().min(1).max(40).nullable().optional(),
    address: Address.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one of firstName, lastName, phone, address');
const UserListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.uuid().optional(),
});

/** HTTP → use cases; no handler touches SQL or passes ctx on. */
export function userRoutes(router: Router, { guards }: Pick<ModuleKernel, 'guards'>): void {
  router.post('/api/v1/auth/register', async (ctx) => {
    const input = readBody(ctx, RegisterInput);
    const created = await cradleOf<UserServices>(ctx).userAccounts.register(input);
    ctx.status = 201;
    ctx.set('Location', '/api/v1/users/me');
    ctx.body = created;
  });

  router.post('/api/v1/auth/login', async (ctx) => {
    const input = readBody(ctx, LoginInput);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await cradleOf<UserServices>(ctx).login.login(input, ctx.ip);
  });

  router.get('/api/v1/users/me', guards.requireUser, async (ctx) => {
    ctx.body = await cradleOf<UserServices>(ctx).userAccounts.profile(principalOf(ctx).userId);
  });

  router.patch('/api/v1/users/me', guards.requireUser, async (ctx) => {
    const patch = readBody(ctx, ProfilePatchInput);
    ctx.body = await cradleOf<UserServices>(ctx).userAccounts.updateProfile(principalOf(ctx).userId, patch);
  });

  router.put('/api/v1/users/me/preferences', guards.requireUser, async (ctx) => {
    const preferences = readBody(ctx, NotificationPreferences);
    const profile = await cradleOf<UserServices>(ctx).userAccounts.setPreferences(principalOf(ctx).userId, preferences);
    ctx.body = profile.preferences;
  });

  router.get('/api/v1/users', guards.requireRole('admin'), async (ctx) => {
    const query = readQuery(ctx, UserListQuery);
    ctx.body = await cradleOf<UserServices>(ctx).userDirectory.list(query.limit, query.after);
  });
}
