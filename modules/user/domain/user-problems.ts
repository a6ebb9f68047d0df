import { problemKind } from '../../../src/http/problem.js';

export const EmailAlreadyRegistered = problemKind(409, 'email-already-registered', 'Email already registered');
// One answer for "no such user" and "wrong password", so the API does not reveal who has an account.
export const InvalidCredentials = problemKind(401, 'invalid-credentials', 'Invalid email or password');
export const UserNotFound = problemKind(404, 'user-not-found', 'User not found');
export const LoginThrottled = problemKind(429, 'login-throttled', 'Too many login attempts');
