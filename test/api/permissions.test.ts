// The permission matrix: every query and mutation for no token, a viewer, an
// operator, a token signed with another secret, an expired token and a token
// with an unknown role. Writes by anyone but an operator fail and change
// nothing; the database grants are checked too, since they are the boundary.
import t from 'tap';
import { SignJWT } from 'jose';
import { signToken, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/api/auth.ts';
import { gql, seed, SECRET, startApi } from './helpers.ts';

const { api, db, tokens } = await startApi(t);
const { ids } = await seed(db.pool);

const variants: Record<string, string | undefined> = {
  'no token': undefined,
  viewer: tokens.viewer,
  operator: tokens.operator,
  'another secret': await signToken({ secret: 'some-other-secret-0123456789abcdef', role: 'operator', sub: 'mallory', expiresInSeconds: 3600 }),
  expired: await signToken({ secret: SECRET, role: 'operator', sub: 'olga-operator', expiresInSeconds: 60, now: Date.now() - 3_600_000 }),
  'unknown role': await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('eve')
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET)),
};

const queries: Record<string, string> = {
  jobs: `{ jobs { totalCount } }`,
  jobReviews: `{ jobReviews { totalCount } }`,
  reviewInbox: `{ reviewInbox { totalCount } }`,
  careerBrands: `{ careerBrands { totalCount } }`,
  jobReviewOverrides: `{ jobReviewOverrides { totalCount } }`,
  jobReviewStats: `{ jobReviewStats }`,
  jobReviewStatus: `{ jobReviewStatus(jobId: "${ids.A}") }`,
};

// Each write, and how to see whether it changed anything.
const mutations: Record<string, string> = {
  queuePendingReviews: `mutation { queuePendingReviews(input: { maxJobs: 5 }) { result { queuedCount } } }`,
  requeueFailedReviews: `mutation { requeueFailedReviews(input: {}) { result { rowId } } }`,
  testJobReview: `mutation { testJobReview(input: { jobId: "${ids.B}" }) { result { recommend } } }`,
  overrideReview: `mutation { overrideReview(input: { jobId: "${ids.B}", recommend: true, comment: "x" }) { result { overrideBy } } }`,
  createJob: `mutation { createJob(input: { site: "perm", jobUrl: "https://perm/1", title: "T", company: "C" }) { result { rowId } } }`,
  archiveJob: `mutation { archiveJob(input: { jobId: "${ids.C}" }) { result { status } } }`,
};

async function snapshot(): Promise<string> {
  const { rows } = await db.pool.query(`
    select json_build_object(
      'jobs', (select json_agg(j order by j.id) from (select id, status, review_attempts, max_review_attempts, last_error, updated_at from app.jobs) j),
      'reviews', (select json_agg(r order by r.job_id) from (select job_id, override_recommend, override_by, updated_at from app.job_reviews) r),
      'overrides', (select count(*) from app.job_review_overrides),
      'queue', (select json_agg(q order by q.key) from (select key, run_at, attempts from graphile_worker._private_jobs) q))::text as s`);
  return rows[0].s;
}

// Delete the E entry so that queuePendingReviews has something to do.
await db.pool.query(`delete from graphile_worker._private_jobs where key = $1`, [`review:${ids.E}`]);

for (const who of ['no token', 'another secret', 'expired', 'unknown role']) {
  t.test(`${who}: nothing at all`, async (t) => {
    const before = await snapshot();
    for (const [name, query] of [...Object.entries(queries), ...Object.entries(mutations)]) {
      const r = await gql(api, variants[who], query);
      t.equal(r.status, who === 'unknown role' ? 403 : 401, `${name}: ${r.status}`);
      t.notOk(r.body.data, `${name}: no data`);
    }
    t.equal(await snapshot(), before, 'nothing changed');
  });
}

t.test('viewer: reads everything, writes nothing', async (t) => {
  for (const [name, query] of Object.entries(queries)) {
    const r = await gql(api, tokens.viewer, query);
    t.equal(r.status, 200, name);
    t.notOk(r.body.errors, `${name}: no errors`);
    t.ok(r.body.data, `${name}: data`);
  }
  const before = await snapshot();
  for (const [name, query] of Object.entries(mutations)) {
    const r = await gql(api, tokens.viewer, query);
    t.match(r.body.errors?.[0]?.message, /permission denied/, `${name}: permission denied`);
    t.equal(r.body.errors?.[0]?.extensions?.code, '42501', `${name}: SQLSTATE 42501`);
    t.notOk(r.body.data?.[name], `${name}: no result`);
  }
  t.equal(await snapshot(), before, 'nothing changed');
});

t.test('operator: reads and writes', async (t) => {
  for (const [name, query] of Object.entries(queries)) {
    const r = await gql(api, tokens.operator, query);
    t.notOk(r.body.errors, `${name}: no errors`);
  }
  for (const [name, query] of Object.entries(mutations)) {
    const r = await gql(api, tokens.operator, query);
    t.notOk(r.body.errors, `${name}: ${JSON.stringify(r.body.errors ?? 'ok')}`);
    t.ok(r.body.data?.[name], `${name}: result`);
  }
  const { rows } = await db.pool.query(`select status from app.jobs where id = $1`, [ids.C]);
  t.equal(rows[0].status, 'archived', 'the operator archived C');
});

t.test('the database grants are the boundary', async (t) => {
  const role = (r: string, sql: string) =>
    db.pool.connect().then(async (c) => {
      try {
        await c.query('begin');
        await c.query(`set local role ${r}`);
        return await c.query(sql);
      } finally {
        await c.query('rollback');
        c.release();
      }
    });
  await t.rejects(role('job_review_viewer', `update app.jobs set status = 'archived'`), /permission denied/, 'viewer cannot update postings');
  await t.rejects(role('job_review_operator', `insert into app.jobs (site, job_url, title, company) values ('x', 'y', 'z', 'w')`), /permission denied/, 'operator cannot insert directly');
  await t.rejects(role('job_review_operator', `update app.job_reviews set override_by = 'x'`), /permission denied/, 'operator cannot write reviews directly');
  await t.rejects(role('job_review_operator', `delete from app.jobs`), /permission denied/, 'operator cannot delete');
  await t.rejects(role('job_review_operator', `select * from graphile_worker._private_jobs`), /permission denied/, 'no API role reads the queue schema');
  await t.rejects(role('job_review_operator', `select graphile_worker.add_job('review_job')`), /permission denied/, 'no API role adds queue jobs');
  await t.rejects(role('job_review_operator', `select * from app_private.workers`), /permission denied/, 'no API role reads the worker registry');
  const moved = await role('job_review_operator', `update app.jobs set status = 'reviewed' where status = 'pending_review' returning id`);
  t.equal(moved.rowCount, 0, 'row-level security: an operator can only move failed postings back to pending_review');

  // A viewer may execute only read-only functions; nothing in app_private
  // beyond the read-only queue helpers (and the operator's test gate).
  const { rows } = await db.pool.query(`
    select r.rolname, n.nspname || '.' || p.proname as fn, p.provolatile
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      cross join (values ('job_review_viewer'), ('job_review_operator')) r(rolname)
     where n.nspname in ('app', 'app_private') and has_function_privilege(r.rolname, p.oid, 'EXECUTE')`);
  const viewerVolatile = rows.filter((r) => r.rolname === 'job_review_viewer' && r.provolatile === 'v').map((r) => r.fn);
  t.same(viewerVolatile, [], 'a viewer can execute no volatile (writing) function');
  const privateFns = [...new Set(rows.filter((r) => r.fn.startsWith('app_private.')).map((r) => `${r.rolname}:${r.fn}`))].sort();
  t.same(
    privateFns,
    [
      'job_review_operator:app_private.posting_for_test',
      'job_review_operator:app_private.review_queue_entry',
      'job_review_operator:app_private.review_queue_figures',
      'job_review_viewer:app_private.review_queue_entry',
      'job_review_viewer:app_private.review_queue_figures',
    ],
    'app_private: only the read-only queue helpers and the test gate',
  );
});
