import { problemKind, ValidationFailed } from '../../../src/http/problem.js';

export const EmailAlreadyRegistered = problemKind(409, 'email-already-registered', 'Email already registered');
// One answer for "no such user" and "wrong password", so the API does not reveal who has an account.
export const InvalidCredentials = problemKind(401, 'invalid-credentials', 'Invalid email or password');
export const UserNotFound = problemKind(404, 'user-not-found', 'User not found');
export const LoginThrottled = problemKind(429, 'login-throttled', 'Too many login attempts');

/** Same shape as the schema's own 400s (`errors[].path` names the field), for a rule the schema cannot check alone. */
export const InvalidPhoneNumber = (message: string, code: 'phone_number_needs_country' | 'invalid_phone_number') =>
  ValidationFailed(`phone: ${message}`, { errors: [{ path: 'phone', message, code }] });
