import Router from '@koa/router';
import { decodeJwt } from 'jose';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { Forbidden, Unauthenticated } from '../http/problem.js';
import { readBody } from '../http/validate.js';
import { InvalidAccessToken, type AccessTokens, type Principal } from '../security/access-tokens.js';

export const ADMIN_SESSION_COOKIE = 'admin_session';
// Path=/admin keeps the admin token away from the public API and every other page of the origin.
const COOKIE_PATH = '/admin';
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="commerce"' };
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

const SessionInput = z.strictObject({ accessToken: z.string().min(1).max(4096) });

export interface AdminSessionOptions {
  /** Secure cookies are dropped by browsers on plain http, so only development turns this off. */
  secureCookie: boolean;
}

// Written by hand rather than with ctx.cookies: `cookies` refuses a Secure cookie whenever Koa
// does not see the request as https, which behind a TLS-terminating proxy depends on `proxy`.
function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const attributes = [`${ADMIN_SESSION_COOKIE}=${value}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict'];
  if (secure) attributes.push('Secure');
  return attributes.join('; ');
}

function readCookie(ctx: Context): string | undefined {
  for (const pair of ctx.get('cookie').split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === ADMIN_SESSION_COOKIE) return value.join('=') || undefined;
  }
  return undefined;
}

async function admit(tokens: AccessTokens, token: string): Promise<Principal> {
  try {
    return await tokens.verify(token);
  } catch (error) {
    if (error instanceof InvalidAccessToken) throw Unauthenticated(error.message, undefined, CHALLENGE);
    throw error;
  }
}

// Only a bad token is a reason to ask for a login; anything else (a bug) stays an error.
function rejectedToken(error: unknown): InvalidAccessToken {
  if (error instanceof InvalidAccessToken) return error;
  throw error;
}

function requireAdminRole(principal: Principal): void {
  if (principal.role !== 'admin') throw Forbidden('This area needs the admin role');
}

/**
 * Guards admin pages and their APIs: a Bearer token (scripts) or the `admin_session` cookie
 * (browsers, which send no Authorization header when navigating). A browser without a valid
 * session is sent to the login page; anything else gets a 401 problem.
 */
export function requireAdmin(tokens: AccessTokens): Middleware {
  return async (ctx, next) => {
    const bearer = BEARER.exec(ctx.get('authorization'))?.[1];
    const token = bearer ?? readCookie(ctx);
    const principal = token ? await tokens.verify(token).catch(rejectedToken) : undefined;
    if (!principal || principal instanceof InvalidAccessToken) {
      // A caller that sent a header is a script, and only a page load can follow a redirect usefully.
      const isNavigation = !bearer && (ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.accepts('html', 'json') === 'html';
      if (isNavigation) {
        ctx.redirect(`/admin/login?next=${encodeURIComponent(ctx.originalUrl)}`);
        return;
      }
      throw Unauthenticated(principal?.message ?? 'Sign in as an admin, or send "Authorization: Bearer <token>"', undefined, CHALLENGE);
    }
    requireAdminRole(principal);
    ctx.state.principal = principal;
    await next();
  };
}

/**
 * The admin login page and the cookie session behind it. Credentials are checked by the user
 * module's `/api/v1/auth/login`, called from the page; the kernel only turns the token it
 * issued into an HttpOnly cookie, so it never needs to know how users sign in.
 */
export function adminSessionRoutes(tokens: AccessTokens, options: AdminSessionOptions): Router {
  const router = new Router();

  router.get('/admin/login', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = LOGIN_HTML;
  });
  router.get('/admin/login.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = LOGIN_JS;
  });
  router.get('/admin/login.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.body = LOGIN_CSS;
  });

  router.post('/admin/session', async (ctx) => {
    const { accessToken } = readBody(ctx, SessionInput);
    const principal = await admit(tokens, accessToken);
    requireAdminRole(principal);
    // The signature and expiry were just verified, so reading `exp` unverified is safe here.
    const { exp } = decodeJwt(accessToken);
    const remaining = typeof exp === 'number' ? exp - Math.floor(Date.now() / 1000) : 0;
    if (remaining <= 0) throw Unauthenticated('The access token has expired', undefined, CHALLENGE);
    ctx.set('Set-Cookie', sessionCookie(accessToken, remaining, options.secureCookie));
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });

  router.post('/admin/logout', (ctx) => {
    ctx.set('Set-Cookie', sessionCookie('', 0, options.secureCookie));
    ctx.status = 204;
  });

  return router;
}

const LOGIN_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Admin sign-in</title>
  <link rel="stylesheet" href="/admin/login.css">
  <script src="/admin/login.js" defer></script>
</head>
<body>
  <main>
    <h1>Admin sign-in</h1>
    <form id="login" method="post" action="/admin/login">
      <label>Email <input name="email" type="email" autocomplete="username" required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <p id="error" role="alert"></p>
    </form>
  </main>
</body>
</html>
`;

const LOGIN_CSS = `body { font-family: system-ui, sans-serif; background: #f4f5f7; margin: 0; }
main { max-width: 22rem; margin: 12vh auto; padding: 2rem; background: #fff; border-radius: 8px; box-shadow: 0 1px 4px rgb(0 0 0 / 15%); }
h1 { font-size: 1.3rem; margin-top: 0; }
label { display: block; margin-bottom: 1rem; font-size: .9rem; }
input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem; padding: .5rem; font-size: 1rem; }
button { width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }
#error { color: #b00020; min-height: 1.2em; }
`;

// Served as its own file because the CSP forbids inline scripts.
const LOGIN_JS = `'use strict';
(() => {
  const form = document.getElementById('login');
  const error = document.getElementById('error');

  // Only admin pages of this origin: anything else would make the login page an open redirect.
  function destination() {
    const next = new URLSearchParams(location.search).get('next');
    if (next && next.startsWith('/admin/')) {
      const url = new URL(next, location.origin);
      if (url.origin === location.origin && url.pathname.startsWith('/admin/')) return url.pathname + url.search + url.hash;
    }
    return '/admin/queues/';
  }

  async function postJson(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || problem.title || 'Request failed with status ' + response.status);
    }
    return response.status === 204 ? undefined : response.json();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const data = new FormData(form);
    try {
      const login = await postJson('/api/v1/auth/login', { email: data.get('email'), password: data.get('password') });
      await postJson('/admin/session', { accessToken: login.accessToken });
      location.assign(destination());
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
})();
`;
