import { SignJWT, jwtVerify } from 'jose';

/** The header that carries a service token, beside (never instead of) the user's own `Authorization`. */
export const SERVICE_TOKEN_HEADER = 'x-internal-token';

const ISSUER = 'commerce-internal';
const audienceOf = (module: string) => `svc:${module}`;
// A cached token is renewed this long before it expires, so one in flight never lapses on the way.
const RENEW_BEFORE_SECONDS = 15;
const VERIFIED_CACHE_LIMIT = 1_000;

export class InvalidServiceToken extends Error {
  override readonly name = 'InvalidServiceToken';
}

export interface ServiceCaller {
  /** who signed: the calling process (`monolith`, `order-service` …) */
  caller: string;
  /** the module the token was issued for */
  module: string;
}

/**
 * Short-lived HS256 tokens between our own processes: one audience per module
 * (`svc:order`), so a token minted to reach payment opens nothing else. Tokens are
 * reused until shortly before they expire and verified ones are remembered until then,
 * so a busy proxy signs about once a minute and a service checks a signature once per
 * token, not once per request.
 * @example const token = tokens.cachedTokenFor('order') ?? await tokens.tokenFor('order'); await tokens.verify(token, ['order'])
 */
export class ServiceTokens {
  private readonly key: Uint8Array;
  private readonly issued = new Map<string, { token: string; renewAt: number }>();
  private readonly verified = new Map<string, ServiceCaller & { expiresAt: number }>();

  constructor(secret: string, private readonly caller: string, private readonly ttlSeconds = 60, private readonly now: () => number = Date.now) {
    this.key = new TextEncoder().encode(secret);
  }

  async tokenFor(module: string): Promise<string> {
    const cached = this.cachedTokenFor(module);
    if (cached !== undefined) return cached;
    const issuedAt = Math.floor(this.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(this.caller)
      .setAudience(audienceOf(module))
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
    this.issued.set(module, { token, renewAt: (issuedAt + this.ttlSeconds - Math.min(RENEW_BEFORE_SECONDS, this.ttlSeconds / 2)) * 1000 });
    return token;
  }

  /** The token `tokenFor` would return without signing, when it has one: no promise on the hot path. */
  cachedTokenFor(module: string): string | undefined {
    const cached = this.issued.get(module);
    return cached && cached.renewAt > this.now() ? cached.token : undefined;
  }

  /** Accepts a token issued for one of `modules`; anything else throws InvalidServiceToken. */
  async verify(token: string | undefined, modules: readonly string[]): Promise<ServiceCaller> {
    if (!token) throw new InvalidServiceToken(`send a service token in ${SERVICE_TOKEN_HEADER}`);
    const remembered = this.verified.get(token);
    if (remembered && remembered.expiresAt > this.now()) {
      if (!modules.includes(remembered.module)) throw new InvalidServiceToken(`the service token was issued for ${remembered.module}, not for this service`);
      return { caller: remembered.caller, module: remembered.module };
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'], issuer: ISSUER, currentDate: new Date(this.now()), requiredClaims: ['exp', 'sub', 'aud'],
      }));
    } catch {
      throw new InvalidServiceToken('the service token is not valid or has expired');
    }
    const audience = [payload.aud].flat().find((value): value is string => typeof value === 'string' && value.startsWith('svc:'));
    const module = audience?.slice(4);
    if (!module || typeof payload.sub !== 'string') throw new InvalidServiceToken('the service token names no module');
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, { caller: payload.sub, module, expiresAt: payload.exp! * 1000 });
    if (!modules.includes(module)) throw new InvalidServiceToken(`the service token was issued for ${module}, not for this service`);
    return { caller: payload.sub, module };
  }
}
