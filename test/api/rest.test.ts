// The seed's REST endpoints: shapes, status codes, 400 with a reason, 404,
// auth; answered by the same SQL functions as GraphQL.
import t from 'tap';
import { queueEntry, seed, startApi } from './helpers.ts';

const { api, db, tokens } = await startApi(t, { API_BODY_LIMIT: '2000' });
const { ids } = await seed(db.pool);

async function call(method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined || opts.body !== undefined) {
    headers['content-type'] = opts.type ?? 'application/json';
    body = opts.raw ?? JSON.stringify(opts.body);
  }
  const res = await fetch(`${api.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

t.test('anonymous: only /healthz and /readyz', async (t) => {
  t.same(await call('GET', '/healthz').then((r) => [r.status, r.json]), [200, { status: 'ok' }]);
  const ready = await call('GET', '/readyz');
  t.equal(ready.status, 200);
  t.same(ready.json, { status: 'ready', database: 'ok', migrations: 'current' });
  for (const [method, path] of [
    ['GET', '/job-review/stats'],
    ['GET', `/job-review/status/${ids.A}`],
    ['POST', '/job-review/queue'],
    ['POST', '/job-review/requeue'],
    ['POST', `/job-review/test/${ids.A}`],
  ]) {
    const r = await call(method, path);
    t.equal(r.status, 401, `${method} ${path}`);
    t.same(r.json, { error: 'unauthorized', reason: 'a bearer token is required' });
    t.match(r.headers.get('www-authenticate'), /Bearer/);
  }
});

t.test('GET /job-review/stats', async (t) => {
  const r = await call('GET', '/job-review/stats', { token: tokens.viewer });
  t.equal(r.status, 200);
  t.same(Object.keys(r.json).sort(), ['generated_at', 'job_status_counts', 'queue_info', 'review_stats', 'throughput']);
  t.same(r.json.job_status_counts, { pending_review: 1, in_review: 0, reviewed: 3, error: 1, duplicate: 1, archived: 0 });
  t.equal(r.json.review_stats.total_reviews, 4);
  t.equal(r.json.queue_info.total, 1);
});

t.test('GET /job-review/status/{job_id}', async (t) => {
  const r = await call('GET', `/job-review/status/${ids.A}`, { token: tokens.viewer });
  t.equal(r.status, 200);
  t.equal(r.json.job_id, ids.A);
  t.equal(r.json.status, 'reviewed');
  t.equal(r.json.review_exists, true);
  t.equal(r.json.review_data.overall_alignment_score, 8.5);
  const pending = await call('GET', `/job-review/status/${ids.E}`, { token: tokens.viewer });
  t.equal(pending.json.review_exists, false);
  t.equal(pending.json.review_data, null);
  t.ok(pending.json.queue_entry, 'queue entry shown');
  const unknown = await call('GET', '/job-review/status/00000000-0000-0000-0000-000000000000', { token: tokens.viewer });
  t.equal(unknown.status, 404);
  t.same(unknown.json, { error: 'not_found', reason: 'no posting has id 00000000-0000-0000-0000-000000000000' });
  const bad = await call('GET', '/job-review/status/not-a-uuid', { token: tokens.viewer });
  t.equal(bad.status, 400);
  t.match(bad.json, { error: 'bad_request', reason: /not a UUID/ });
});

t.test('POST /job-review/queue', async (t) => {
  await db.pool.query(`delete from graphile_worker._private_jobs where key = $1`, [`review:${ids.E}`]);
  const viewer = await call('POST', '/job-review/queue', { token: tokens.viewer, body: { limit: 5 } });
  t.equal(viewer.status, 403, 'a viewer may not queue');
  t.match(viewer.json, { error: 'forbidden', reason: /permission denied/ });
  t.notOk(await queueEntry(db.pool, ids.E), 'and nothing was queued');
  const r = await call('POST', '/job-review/queue', { token: tokens.operator, body: { limit: 5, max_retries: 2 } });
  t.equal(r.status, 200);
  t.match(r.json, { status: 'ok', queued_count: 1, already_queued: 0, total_pending: 1, message: /queued 1/ });
  t.ok(await queueEntry(db.pool, ids.E));
  const empty = await call('POST', '/job-review/queue', { token: tokens.operator });
  t.equal(empty.status, 200, 'no body: the defaults');
  t.equal(empty.json.queued_count, 0);
  for (const [body, reason] of [
    [{ limit: 'x' }, /limit/],
    [{ limit: 0 }, /limit/],
    [{ max_retries: 1000 }, /max_retries/],
    [{ limit: 5, surprise: true }, /surprise|Unrecognized/i],
    [[1, 2], /object/],
  ] as const) {
    const bad = await call('POST', '/job-review/queue', { token: tokens.operator, body });
    t.equal(bad.status, 400, JSON.stringify(body));
    t.match(bad.json, { error: 'bad_request', reason });
  }
  const notJson = await call('POST', '/job-review/queue', { token: tokens.operator, raw: '{"limit":' });
  t.same([notJson.status, notJson.json], [400, { error: 'bad_request', reason: 'the body is not valid JSON' }]);
  const wrongType = await call('POST', '/job-review/queue', { token: tokens.operator, raw: 'limit=5', type: 'application/x-www-form-urlencoded' });
  t.equal(wrongType.status, 415);
  const huge = await call('POST', '/job-review/queue', { token: tokens.operator, raw: JSON.stringify({ limit: 5, pad: 'x'.repeat(5000) }) });
  t.equal(huge.status, 413, 'a body over API_BODY_LIMIT is refused');
  const wrongMethod = await call('GET', '/job-review/queue', { token: tokens.operator });
  t.equal(wrongMethod.status, 405);
  t.equal(wrongMethod.headers.get('allow'), 'POST');
});

t.test('POST /job-review/requeue', async (t) => {
  const bad = await call('POST', '/job-review/requeue', { token: tokens.operator, body: { job_ids: ['nope'] } });
  t.equal(bad.status, 400);
  t.match(bad.json.reason, /job_ids/);
  const viewer = await call('POST', '/job-review/requeue', { token: tokens.viewer });
  t.equal(viewer.status, 403);
  const r = await call('POST', '/job-review/requeue', { token: tokens.operator, body: { max_retries: 4 } });
  t.equal(r.status, 200);
  t.match(r.json, { status: 'ok', requeued_count: 1, job_ids: [ids.D] });
  t.equal((await db.pool.query(`select status from app.jobs where id = $1`, [ids.D])).rows[0].status, 'pending_review');
  t.ok(await queueEntry(db.pool, ids.D));
  const again = await call('POST', '/job-review/requeue', { token: tokens.operator });
  t.match(again.json, { requeued_count: 0, job_ids: [] });
});

t.test('POST /job-review/test/{job_id}', async (t) => {
  const before = (await db.pool.query(`select count(*)::int as n, max(updated_at) as at from app.job_reviews`)).rows[0];
  const r = await call('POST', `/job-review/test/${ids.B}`, { token: tokens.operator });
  t.equal(r.status, 200);
  t.match(r.json, { job_id: ids.B, stored: false, provider_called: true, reviewer: /^heuristic/, recommend: Boolean, confidence: /low|medium|high/ });
  t.ok(r.json.review.final, 'the whole review output');
  t.same((await db.pool.query(`select count(*)::int as n, max(updated_at) as at from app.job_reviews`)).rows[0], before, 'nothing stored');
  t.equal((await call('POST', `/job-review/test/${ids.B}`, { token: tokens.viewer })).status, 403, 'viewers may not');
  t.equal((await call('POST', '/job-review/test/00000000-0000-0000-0000-000000000000', { token: tokens.operator })).status, 404);
  t.equal((await call('POST', '/job-review/test/xyz', { token: tokens.operator })).status, 400);
});

t.test('unknown routes', async (t) => {
  t.equal((await call('GET', '/job-review/nothing', { token: tokens.viewer })).status, 404);
  t.equal((await call('GET', '/nothing')).status, 404);
});
