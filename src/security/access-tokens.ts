import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

export type Role = 'customer' | 'admin';

export interface Principal {
  userId: string;
  role: Role;
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const ISSUER = 'commerce';
const AUDIENCE = 'commerce-api';

export class InvalidAccessToken extends Error {
  override readonly name = 'InvalidAccessToken';
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'The access token has expired' : 'The access token is not valid');
  }
}

/**
 * Issues and checks HS256 access tokens. Only HS256 is accepted on verify, so a token
 * signed with `none` or another algorithm is rejected however it is crafted.
 * @example const tokens = new AccessTokens(secret, 900); await tokens.issue({ userId, role: 'customer' })
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(secret: string, private readonly ttlSeconds: number, private readonly now: () => Date = () => new Date()) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(principal: Principal): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const accessToken = await new SignJWT({ role: principal.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(principal.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
    return { accessToken, tokenType: 'Bearer', expiresIn: this.ttlSeconds };
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE, currentDate: this.now(),
      });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'customer' && role !== 'admin')) throw new InvalidAccessToken('invalid');
      return { userId: payload.sub, role };
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new InvalidAccessToken('expired');
      throw new InvalidAccessToken('invalid');
    }
  }
}
