// `job-review token`, `job-review serve` and the API part of `start`, run as
// the real binary.
import t from 'tap';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyToken } from '../../src/api/auth.ts';
import { cliEnv, runCli, startCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';

const SECRET = 'cli-test-secret-0123456789abcdef0123456789';

t.test('token mints a verifiable HS256 token', async (t) => {
  const r = await runCli(['token', '--role', 'operator', '--sub', 'alice', '--expires', '2h'], { env: cliEnv({ JWT_SECRET: SECRET }) });
  t.equal(r.code, 0, r.stderr);
  const result = await verifyToken(r.stdout.trim(), SECRET);
  t.ok(result.ok);
  if (result.ok) {
    t.same({ sub: result.claims.sub, role: result.claims.role }, { sub: 'alice', role: 'operator' });
    const left = result.claims.exp! - Date.now() / 1000;
    t.ok(left > 7000 && left <= 7200, `expires in about 2h (${left}s)`);
  }
  const json = await runCli(['token', '--role', 'viewer', '--sub', 'bob', '--json'], { env: cliEnv({ JWT_SECRET: SECRET }) });
  t.match(JSON.parse(json.stdout), { role: 'viewer', sub: 'bob', token: /^ey/, expiresAt: /Z$/ });
  t.equal((await runCli(['token', '--role', 'admin', '--sub', 'x'], { env: cliEnv({ JWT_SECRET: SECRET }) })).code, 2, 'unknown role: usage error');
  t.equal((await runCli(['token', '--role', 'viewer', '--sub', 'x', '--expires', 'soon'], { env: cliEnv({ JWT_SECRET: SECRET }) })).code, 2, 'bad duration');
  const noSecret = await runCli(['token', '--role', 'viewer', '--sub', 'x']);
  t.equal(noSecret.code, 2);
  t.match(noSecret.stderr, /JWT_SECRET is not set/);
});

t.test('serve refuses to start without JWT_SECRET', async (t) => {
  const db = await createTestDatabase(t);
  const r = await runCli(['serve'], { env: cliEnv({ DATABASE_URL: db.url, PORT: '0' }) });
  t.equal(r.code, 2);
  t.match(r.stderr, /JWT_SECRET is not set: the API refuses to start without it/);
});

t.test('serve answers with JWT_SECRET and stops on SIGTERM', async (t) => {
  const db = await createTestDatabase(t);
  const run = await startCli(['serve', '--port', '0'], { env: cliEnv({ DATABASE_URL: db.url, JWT_SECRET: SECRET }), ready: /API listening at http:\/\/\S+/ });
  const url = run.output().match(/API listening at (http:\/\/\S+?) /)![1];
  t.equal((await fetch(`${url}/healthz`)).status, 200);
  t.equal((await fetch(`${url}/readyz`)).status, 200);
  t.equal((await fetch(`${url}/job-review/stats`)).status, 401);
  const token = (await runCli(['token', '--role', 'viewer', '--sub', 'v'], { env: cliEnv({ JWT_SECRET: SECRET }) })).stdout.trim();
  const stats = await fetch(`${url}/job-review/stats`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(stats.status, 200);
  run.child.kill('SIGTERM');
  t.equal((await run.exited).code, 0);
});

t.test('start generates a secret once, prints the API URL, an operator token and a URL to open', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jr-start-api-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = cliEnv({ JOB_REVIEW_DATA_DIR: dataDir, PORT: '0' });
  const first = await startCli(['start'], { env, ready: /Press Ctrl-C to stop/ });
  const out = first.output();
  t.match(out, /ready at postgres:\/\//);
  const api = out.match(/API at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  t.ok(api, 'API URL printed');
  const token = out.match(/Operator token \([^)]*\): (\S+)/)?.[1];
  t.ok(token, 'operator token printed');
  t.match(out, new RegExp(`Open: ${api}/#token=${token}`), 'a ready-to-open URL with the token in the fragment');
  const secretFile = join(dataDir, 'jwt-secret');
  t.equal(statSync(secretFile).mode & 0o777, 0o600, 'the secret file is 0600');
  const secret = readFileSync(secretFile, 'utf8').trim();
  const verified = await verifyToken(token, secret);
  t.ok(verified.ok && verified.claims.role === 'operator', 'the token is an operator token signed with that secret');
  const gql = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ jobReviewStats }' }),
  });
  t.equal(gql.status, 200);
  t.ok((await gql.json()).data.jobReviewStats.job_status_counts);
  first.child.kill('SIGINT');
  t.equal((await first.exited).code, 0);

  const second = await startCli(['start'], { env, ready: /Press Ctrl-C to stop/ });
  t.equal(readFileSync(secretFile, 'utf8').trim(), secret, 'the secret is reused');
  t.match(second.output(), /secret from /);
  second.child.kill('SIGINT');
  t.equal((await second.exited).code, 0);
});
