// Webhooks: signed deliveries, retries until the receiver accepts, a log of
// every attempt, nothing sent for a rolled-back review.
import t from 'tap';
import { createHeuristicProvider } from '../../src/review/providers/heuristic.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verifySignature } from '../../src/webhooks/signature.ts';
import { startReviewWorker } from '../../src/worker/runner.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startReceiver } from '../helpers/receiver.ts';
import { quietLog, testConfig, waitFor } from '../helpers/worker.ts';

const SECRET = 'whsec-test-0123456789abcdef';

t.test('review.completed reaches the receiver, correctly signed; a 500 is retried until success', async (t) => {
  const { pool } = await createTestDatabase(t);
  const receiver = await startReceiver([500]);
  t.teardown(receiver.close);
  const { rows: [hook] } = await pool.query(`select * from app.create_webhook($1, array['review.completed'], $2, 'test hook')`, [receiver.url, SECRET]);
  t.notOk('secret' in hook, 'the webhook row carries no secret');
  const worker = await startReviewWorker({ pool, config: testConfig(), log: quietLog(), provider: createHeuristicProvider(), concurrency: 2 });
  t.teardown(() => worker.stop());

  const { rows: [job] } = await pool.query(
    `insert into app.jobs (site, job_url, title, company, is_remote) values ('w', 'https://w/1', 'Senior Engineer', 'Hook Co', true) returning id`,
  );
  await waitFor('two delivery attempts', async () => receiver.received.length >= 2, 60_000);
  const [first, second] = receiver.received;
  t.equal(first.body.replace(/"delivery_id":"[^"]*"/, ''), second.body.replace(/"delivery_id":"[^"]*"/, ''), 'the retry carries the same event');
  const body = JSON.parse(second.body);
  t.equal(body.event, 'review.completed');
  t.equal(body.job_id, job.id);
  t.type(body.data.recommend, 'boolean');
  t.type(body.data.overall_alignment_score, 'number');
  t.equal(second.headers['x-job-review-event'], 'review.completed');
  const headers = { signature: second.headers[SIGNATURE_HEADER] as string, timestamp: second.headers[TIMESTAMP_HEADER] as string };
  t.ok(verifySignature(SECRET, headers, second.body), 'the signature verifies with the secret');
  t.notOk(verifySignature('another-secret-0123456789', headers, second.body), 'a wrong secret fails the check');
  t.notOk(verifySignature(SECRET, headers, second.body.replace('review.completed', 'review.failed')), 'a changed body fails the check');
  t.notOk(verifySignature(SECRET, { ...headers, timestamp: String(Number(headers.timestamp) - 3600) }, second.body), 'a replayed old timestamp fails');
  t.notOk(verifySignature(SECRET, { ...headers, signature: undefined }, second.body), 'no signature fails');

  const log = await waitFor('both attempts logged', async () => {
    const { rows } = await pool.query(`select attempt, status_code, succeeded, error from app.webhook_deliveries where webhook_id = $1 order by id`, [hook.id]);
    return rows.length === 2 ? rows : null;
  });
  t.same(log.map((r) => [r.status_code, r.succeeded]), [[500, false], [200, true]], 'each attempt is logged');
  t.match(log[0].error, /HTTP 500/);
  t.ok(second.at - first.at >= 1000, 'the retry waited (graphile-worker backoff)');
});

t.test('a rolled-back review sends nothing; overrides and failures raise their events', async (t) => {
  const { pool } = await createTestDatabase(t);
  await pool.query(`select app.create_webhook($1, array['review.completed','review.failed','review.overridden'], $2)`, ['http://127.0.0.1:9/unused', SECRET]);
  const { rows: [job] } = await pool.query(`insert into app.jobs (site, job_url, title, company, status) values ('w', 'https://w/rb', 'Engineer', 'Rollback Co', 'reviewed') returning id`);
  const deliveries = async () => (await pool.query(`select q.payload->>'event' as event from graphile_worker._private_jobs q join graphile_worker._private_tasks k on k.id = q.task_id where k.identifier = 'deliver_webhook' order by q.id`)).rows.map((r) => r.event);

  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`insert into app.job_reviews (job_id, recommend, overall_alignment_score) values ($1, true, 7)`, [job.id]);
    t.same(await (async () => (await client.query(`select count(*)::int n from graphile_worker.jobs where task_identifier = 'deliver_webhook'`)).rows[0].n)(), 1, 'queued inside the transaction');
    await client.query('rollback');
  } finally {
    client.release();
  }
  t.same(await deliveries(), [], 'nothing queued after the rollback');

  await pool.query(`insert into app.job_reviews (job_id, recommend, overall_alignment_score) values ($1, true, 7)`, [job.id]);
  await pool.query(`update app.job_reviews set override_recommend = false, override_at = now(), override_by = 'tester' where job_id = $1`, [job.id]);
  await pool.query(`update app.job_reviews set recommend = null, error_message = 'boom', reviewed_at = now() + interval '1 second' where job_id = $1`, [job.id]);
  t.same(await deliveries(), ['review.completed', 'review.overridden', 'review.failed']);
});

t.test('signatures are HMAC-SHA256 over "<timestamp>.<body>"', async (t) => {
  t.equal(sign('k', 1, 'b'), 'sha256=' + (await import('node:crypto')).createHmac('sha256', 'k').update('1.b').digest('hex'));
});

t.test('secrets are validated and never readable by the API roles', async (t) => {
  const { pool } = await createTestDatabase(t);
  await t.rejects(pool.query(`select app.create_webhook('http://x.example/h', array['review.completed'], 'short')`), { message: /at least 16 characters/ });
  await t.rejects(pool.query(`select app.create_webhook('ftp://x.example/h', array['review.completed'], $1)`, [SECRET]), { code: '23514' });
  await t.rejects(pool.query(`select app.create_webhook('http://x.example/h', array['review.exploded'], $1)`, [SECRET]), { code: '23514' });
  const { rows } = await pool.query(`select has_table_privilege('job_review_operator', 'app_private.webhook_secrets', 'select') as op, has_schema_privilege('job_review_operator', 'graphile_worker', 'usage') as gw`);
  t.same(rows[0], { op: false, gw: false });
});
