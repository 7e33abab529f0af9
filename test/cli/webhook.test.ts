// `job-review webhook`: operators manage webhooks from the terminal through
// the same SQL functions as GraphQL; the secret is shown once and never stored
// where the API could read it.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';

t.test('add, list, disable, enable, deliveries, remove', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const env = cliEnv({ DATABASE_URL: url });
  const cli = (...args: string[]) => runCli(args, { env });

  const added = await cli('webhook', 'add', 'https://hooks.example/in', '--event', 'review.completed', '--event', 'review.failed', '--json');
  t.equal(added.code, 0, added.stderr);
  const hook = JSON.parse(added.stdout);
  t.same(hook.events, ['review.completed', 'review.failed']);
  t.match(hook.secret, /^whsec_[0-9a-f]{48}$/, 'a generated secret is printed once');
  const stored = await pool.query(`select secret from app_private.webhook_secrets where webhook_id = $1`, [hook.id]);
  t.equal(stored.rows[0].secret, hook.secret, 'and stored privately');

  const human = await cli('webhook', 'add', 'https://hooks.example/two', '--secret', 'my-own-secret-123456');
  t.equal(human.code, 0);
  t.match(human.stdout, /sends review\.completed, review\.failed, review\.overridden to https:\/\/hooks\.example\/two/);
  t.notMatch(human.stdout, /my-own-secret/, 'a given secret is not echoed');

  const list = JSON.parse((await cli('webhook', 'list', '--json')).stdout);
  t.equal(list.length, 2);
  t.ok(list.every((h: Record<string, unknown>) => !('secret' in h)), 'list never shows secrets');

  t.equal((await cli('webhook', 'disable', hook.id)).code, 0);
  t.equal((await pool.query(`select enabled from app.webhooks where id = $1`, [hook.id])).rows[0].enabled, false);
  t.equal((await cli('webhook', 'enable', hook.id)).code, 0);
  t.equal((await pool.query(`select enabled from app.webhooks where id = $1`, [hook.id])).rows[0].enabled, true);

  await pool.query(
    `insert into app.webhook_deliveries (webhook_id, event, delivery_id, attempt, status_code, succeeded, error) values ($1, 'review.completed', '7', 1, 500, false, 'receiver answered HTTP 500')`,
    [hook.id],
  );
  const log = await cli('webhook', 'deliveries', hook.id);
  t.equal(log.code, 0);
  t.match(log.stdout, /review\.completed .*500 .*no .*receiver answered HTTP 500/);

  const missing = await cli('webhook', 'remove', '00000000-0000-4000-8000-000000000000');
  t.equal(missing.code, 1);
  t.match(missing.stderr, /Webhook 00000000-0000-4000-8000-000000000000 not found/);
  t.equal((await cli('webhook', 'remove', hook.id)).code, 0);
  t.equal((await pool.query(`select count(*)::int n from app.webhooks`)).rows[0].n, 1);

  const bad = await cli('webhook', 'add', 'ftp://nope', '--secret', 'x');
  t.equal(bad.code, 2, 'usage error');
  t.match(bad.stderr, /url must be an http/);
  const badId = await cli('webhook', 'disable', 'not-a-uuid');
  t.equal(badId.code, 2);
  t.match(badId.stderr, /id must be a UUID/);
});
