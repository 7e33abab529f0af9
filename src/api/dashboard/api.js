// The dashboard's only way to the data: POST /graphql with the user's bearer
// token. The token comes from the URL fragment (#token=..., what
// `job-review start` prints; the fragment never reaches a server) or is pasted
// once, and is kept in localStorage.

const STORAGE_KEY = 'job-review.token';

/** Takes a token out of the URL fragment (and removes it from the address bar). */
export function takeTokenFromUrl() {
  const hash = window.location.hash;
  const m = /^#token=([^&]+)/.exec(hash);
  if (!m) return null;
  const token = decodeURIComponent(m[1]).trim();
  window.history.replaceState(null, '', window.location.pathname + window.location.search + '#/overview');
  return token || null;
}

export function storedToken() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token) {
  try {
    if (token) window.localStorage.setItem(STORAGE_KEY, token);
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* private mode: the token lives for this page only */
  }
}

/** The token's claims (sub, role, exp), read without verifying: only for display and hiding controls. */
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const claims = JSON.parse(json);
    return { sub: String(claims.sub ?? ''), role: String(claims.role ?? ''), exp: typeof claims.exp === 'number' ? claims.exp : null };
  } catch {
    return null;
  }
}

export class AuthError extends Error {}

/** Runs one GraphQL operation; throws AuthError on 401/403 at the HTTP level, Error with the server's messages otherwise. */
export async function gql(token, query, variables = {}) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new Error('The API does not answer (network error).');
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  if (res.status === 401 || res.status === 403) {
    throw new AuthError(body?.reason ?? body?.errors?.[0]?.message ?? `the API refused the token (HTTP ${res.status})`);
  }
  if (body?.errors?.length) {
    throw new Error(body.errors.map((e) => e.message).join('; '));
  }
  if (!res.ok || !body) throw new Error(`The API answered HTTP ${res.status}.`);
  return body.data;
}
