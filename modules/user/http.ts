import { z } from 'zod';
import { cradleOf } from '../../src/app/request-scope.js';
import type { ApiRoutes } from '../../src/http/api/api-routes.js';
import { Address, NotificationPreferences, UserProfile, UserRole } from './contract.js';
import { EmailAlreadyRegistered, InvalidCredentials, LoginThrottled, UserNotFound } from './domain/user-problems.js';
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
    phone: z.string().trim().min(1).max(40).nullable().optional().describe('any usual form; stored and answered in E.164'),
    address: Address.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one of firstName, lastName, phone, address');
const UserListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.uuid().optional(),
});

const Timestamp = z.iso.datetime({ offset: true });
const RegisteredUser = z.object({ id: z.uuid(), email: z.email() });
const AccessToken = z.object({
  accessToken: z.string().describe('a JWT to send as `Authorization: Bearer <token>`'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().describe('seconds'),
}).meta({ id: 'AccessToken' });
const Profile = UserProfile.meta({ id: 'UserProfile' });
const ProfileWithTimes = z.object({ ...UserProfile.shape, createdAt: Timestamp, updatedAt: Timestamp }).meta({ id: 'UserAccount' });
const Preferences = NotificationPreferences.meta({ id: 'NotificationPreferences' });
const UserPage = z.object({
  items: z.array(z.object({ id: z.uuid(), email: z.email(), role: UserRole, createdAt: Timestamp })),
  nextCursor: z.uuid().nullable().describe('pass as `after` for the next page'),
});

/** HTTP → use cases; no handler touches SQL. */
export function userRoutes(api: ApiRoutes): void {
  api.describeTag('auth', 'Creating an account and signing in');
  api.describeTag('users', 'The signed-in user’s own profile, and the admin’s list of accounts');

  api.route({
    operationId: 'registerCustomer', method: 'post', path: '/api/v1/auth/register', summary: 'Create a customer account', tags: ['auth'], access: 'public',
    request: { body: RegisterInput },
    responses: { 201: { description: 'The new account', body: RegisteredUser, headers: z.object({ Location: z.string().describe('the profile') }) } },
    problems: [EmailAlreadyRegistered],
  }).handle(async ({ body }, ctx) => {
    const created = await cradleOf<UserServices>(ctx).userAccounts.register(body);
    return { status: 201, body: created, headers: { Location: '/api/v1/users/me' } };
  });

  api.route({
    operationId: 'login', method: 'post', path: '/api/v1/auth/login', summary: 'Sign in for an access token', tags: ['auth'], access: 'public',
    description: 'Attempts are counted per email and client address; past the limit the answer is 429 with `Retry-After`.',
    request: { body: LoginInput },
    responses: { 200: { description: 'A bearer access token', body: AccessToken, headers: z.object({ 'Cache-Control': z.literal('no-store') }) } },
    problems: [InvalidCredentials, LoginThrottled],
  }).handle(async ({ body }, ctx) => {
    // Set before signing in, so a refused sign-in (401, 429) is not for caches either.
    ctx.set('Cache-Control', 'no-store');
    const token = await cradleOf<UserServices>(ctx).login.login(body, ctx.ip);
    return { status: 200, body: token, headers: { 'Cache-Control': 'no-store' } };
  });

  api.route({
    operationId: 'readOwnProfile', method: 'get', path: '/api/v1/users/me', summary: 'Read your profile', tags: ['users'], access: 'user',
    responses: { 200: { description: 'The caller’s profile', body: ProfileWithTimes } },
    problems: [UserNotFound],
  }).handle(async ({ principal }, ctx) => ({ status: 200, body: await cradleOf<UserServices>(ctx).userAccounts.profile(principal.userId) }));

  api.route({
    operationId: 'updateOwnProfile', method: 'patch', path: '/api/v1/users/me', summary: 'Change your name, phone or address', tags: ['users'], access: 'user',
    description: 'Only the fields sent change; `null` clears one. A national phone number needs an address (its country).',
    request: { body: ProfilePatchInput },
    responses: { 200: { description: 'The profile after the change', body: Profile } },
    problems: [UserNotFound],
  }).handle(async ({ body, principal }, ctx) => ({ status: 200, body: await cradleOf<UserServices>(ctx).userAccounts.updateProfile(principal.userId, body) }));

  api.route({
    operationId: 'setNotificationPreferences', method: 'put', path: '/api/v1/users/me/preferences', summary: 'Choose how you are notified', tags: ['users'], access: 'user',
    request: { body: NotificationPreferences },
    responses: { 200: { description: 'The preferences now in force', body: Preferences } },
    problems: [UserNotFound],
  }).handle(async ({ body, principal }, ctx) => {
    const profile = await cradleOf<UserServices>(ctx).userAccounts.setPreferences(principal.userId, body);
    return { status: 200, body: profile.preferences };
  });

  api.route({
    operationId: 'listUsers', method: 'get', path: '/api/v1/users', summary: 'List accounts in sign-up order', tags: ['users'], access: 'admin',
    request: { query: UserListQuery },
    responses: { 200: { description: 'A page of accounts', body: UserPage } },
  }).handle(async ({ query }, ctx) => ({ status: 200, body: await cradleOf<UserServices>(ctx).userDirectory.list(query.limit, query.after) }));
}
