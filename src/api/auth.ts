// API tokens: HS256 JWTs signed with JWT_SECRET. A token names one of two
// roles, and the server turns it into the PostgreSQL role the request runs
// as (SET LOCAL role) plus jwt.claims.* settings; GRANTs and row-level
// security in the database decide what that role may do.
import { errors, jwtVerify, SignJWT } from 'jose';

export const API_ROLES = ['viewer', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** The PostgreSQL role each API role runs as (sqitch change api_roles). */
export const PG_ROLES: Record<ApiRole, string> = {
  viewer: 'job_review_viewer',
  operator: 'job_review_operator',
};

export const TOKEN_ISSUER = 'job-review';
export const TOKEN_AUDIENCE = 'job-review-api';

export interface Claims {
  sub: string;
  role: ApiRole;
  exp?: number;
}

export type AuthResult =
  | { ok: true; claims: Claims }
  | { ok: false; status: 401 | 403; error: 'unauthorized' | 'forbidden'; reason: string };

const key = (secret: string) => new TextEncoder().encode(secret);

/** "30d", "12h", "15m", "90s", "2w" or a number of seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s*([smhdw]?)$/.exec(text.trim());
  if (!m) throw new Error(`invalid duration "${text}": use a number with s, m, h, d or w (e.g. 30d)`);
  const n = Number(m[1]);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as '' | 's' | 'm' | 'h' | 'd' | 'w'];
  if (n <= 0) throw new Error(`invalid duration "${text}": must be more than zero`);
  return n * unit;
}

export async function signToken(opts: { secret: string; role: ApiRole; sub: string; expiresInSeconds?: number; now?: number }): Promise<string> {
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ role: opts.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.sub)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(now);
  if (opts.expiresInSeconds !== undefined) jwt.setExpirationTime(now + opts.expiresInSeconds);
  return jwt.sign(key(opts.secret));
}

/** The bearer token of an Authorization header value, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}

/** Checks a token: signature (HS256 only), issuer, audience, expiry, subject and role. */
export async function verifyToken(token: string | undefined, secret: string): Promise<AuthResult> {
  if (!token) return { ok: false, status: 401, error: 'unauthorized', reason: 'a bearer token is required' };
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key(secret), { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }));
  } catch (error) {
    const reason =
      error instanceof errors.JWTExpired
        ? 'the token has expired'
        : error instanceof errors.JWSSignatureVerificationFailed
          ? 'the token signature is not valid'
          : error instanceof errors.JWTClaimValidationFailed
            ? `the token's ${error.claim} claim is not valid`
            : 'the token is not valid';
    return { ok: false, status: 401, error: 'unauthorized', reason };
  }
  const sub = payload.sub;
  if (typeof sub !== 'string' || sub.trim() === '') return { ok: false, status: 401, error: 'unauthorized', reason: 'the token has no subject' };
  const role = payload.role;
  if (typeof role !== 'string' || !(API_ROLES as readonly string[]).includes(role)) {
    return { ok: false, status: 403, error: 'forbidden', reason: `the token's role is not one of ${API_ROLES.join(', ')}` };
  }
  return { ok: true, claims: { sub, role: role as ApiRole, exp: typeof payload.exp === 'number' ? payload.exp : undefined } };
}

/**
 * The transaction settings a request runs with: the role, the caller's
 * claims (override_by reads jwt.claims.sub) and the statement timeout.
 */
export function pgSettingsFor(claims: Claims, statementTimeoutMs: number): Record<string, string> {
  return {
    role: PG_ROLES[claims.role],
    'jwt.claims.sub': claims.sub,
    'jwt.claims.role': claims.role,
    statement_timeout: `${statementTimeoutMs}`,
  };
}
