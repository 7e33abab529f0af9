// Every mutation, called by an operator, and its effect in the database:
// queue entries, statuses, override fields with override_by = the token's
// subject, the override history, a test review that stores nothing.
import t from 'tap';
import { dataOf, gql, queueEntry, seed, startApi } from './helpers.ts';

const { api, db, tokens } = await startApi(t);
const { ids } = await seed(db.pool);
const op = tokens.operator;
const q = (text: string, values: unknown[] = []) => db.pool.query(text, values).then((r) => r.rows);

t.test('queuePendingReviews queues pending postings that have no queue entry', async (t) => {
  await q(`delete from graphile_worker._private_jobs where key = $1`, [`review:${ids.E}`]);
  t.notOk(await queueEntry(db.pool, ids.E), 'E lost its queue entry');
  const data = dataOf(await gql(api, op, `mutation { queuePendingReviews(input: { maxJobs: 10, maxRetries: 5 }) { result { queuedCount alreadyQueued totalPending } } }`));
  t.same(data.queuePendingReviews.result, { queuedCount: 1, alreadyQueued: 0, totalPending: 1 });
  t.ok(await queueEntry(db.pool, ids.E), 'E is queued again');
  t.equal((await q(`select max_review_attempts from app.jobs where id = $1`, [ids.E]))[0].max_review_attempts, 5);
  const again = dataOf(await gql(api, op, `mutation { queuePendingReviews(input: {}) { result { queuedCount alreadyQueued } } }`));
  t.same(again.queuePendingReviews.result, { queuedCount: 0, alreadyQueued: 1 }, 'nothing queued twice');
});

t.test('requeueFailedReviews puts failed postings back in the queue', async (t) => {
  t.notOk(await queueEntry(db.pool, ids.D));
  const data = dataOf(await gql(api, op, `mutation { requeueFailedReviews(input: { maxRetries: 2 }) { result { rowId status reviewAttempts } } }`));
  t.same(data.requeueFailedReviews.result, [{ rowId: ids.D, status: 'pending_review', reviewAttempts: 0 }]);
  const [row] = await q(`select status, last_error, max_review_attempts from app.jobs where id = $1`, [ids.D]);
  t.same(row, { status: 'pending_review', last_error: null, max_review_attempts: 2 });
  t.ok(await queueEntry(db.pool, ids.D), 'D is queued');
});

t.test('overrideReview records the decision, the caller and the history', async (t) => {
  const data = dataOf(
    await gql(api, op, `mutation($id: UUID!) { overrideReview(input: { jobId: $id, recommend: false, comment: "not for me" }) { result { overrideRecommend overrideComment overrideBy finalRecommend } } }`, { id: ids.A }),
  );
  t.same(data.overrideReview.result, { overrideRecommend: false, overrideComment: 'not for me', overrideBy: 'olga-operator', finalRecommend: false });
  const [row] = await q(`select override_recommend, override_by, override_at, final_recommend from app.job_reviews where job_id = $1`, [ids.A]);
  t.equal(row.override_by, 'olga-operator', 'override_by is the token subject');
  t.ok(row.override_at, 'override_at set');
  t.equal(row.final_recommend, false);
  dataOf(await gql(api, op, `mutation($id: UUID!) { overrideReview(input: { jobId: $id, recommend: true }) { result { finalRecommend } } }`, { id: ids.A }));
  const history = await q(`select override_recommend, override_comment, override_by, previous_recommend from app.job_review_overrides where job_id = $1 order by id`, [ids.A]);
  t.same(history, [
    { override_recommend: false, override_comment: 'not for me', override_by: 'olga-operator', previous_recommend: true },
    { override_recommend: true, override_comment: null, override_by: 'olga-operator', previous_recommend: false },
  ]);
  const read = dataOf(await gql(api, tokens.viewer, `query($id: UUID!) { job(rowId: $id) { jobReviewOverrides(orderBy: ROW_ID_ASC) { nodes { overrideRecommend overrideBy } } } }`, { id: ids.A }));
  t.equal(read.job.jobReviewOverrides.nodes.length, 2, 'history readable through the API');
  const missing = await gql(api, op, `mutation($id: UUID!) { overrideReview(input: { jobId: $id, recommend: true }) { result { rowId } } }`, { id: ids.E });
  t.match(missing.body.errors?.[0]?.message, /has no review to override/, 'a posting without a review cannot be overridden');
});

t.test('createJob inserts a posting and queues it in the same transaction', async (t) => {
  const data = dataOf(
    await gql(
      api,
      op,
      `mutation { createJob(input: { site: "api", jobUrl: "https://api/1", title: "Data Engineer", company: "Epsilon", isRemote: true, minAmount: "150000", maxAmount: "210000", interval: "yearly", currency: "USD", datePosted: "2026-11-27", priority: -5 }) { result { rowId status priority maxAmount } } }`,
    ),
  );
  const job = data.createJob.result;
  t.equal(job.status, 'pending_review');
  t.equal(job.priority, -5);
  const [row] = await q(`select title, company, is_remote, max_amount, "interval" from app.jobs where id = $1`, [job.rowId]);
  t.same(row, { title: 'Data Engineer', company: 'Epsilon', is_remote: true, max_amount: 210000, interval: 'yearly' });
  t.ok(await queueEntry(db.pool, job.rowId), 'queued');
  const dup = await gql(api, op, `mutation { createJob(input: { site: "api", jobUrl: "https://api/1", title: "X", company: "Y" }) { result { rowId } } }`);
  t.match(dup.body.errors?.[0]?.message, /already exists/, 'the same site and URL twice is refused');
  const bad = await gql(api, op, `mutation { createJob(input: { site: "api", jobUrl: "https://api/2", title: " ", company: "Y" }) { result { rowId } } }`);
  t.match(bad.body.errors?.[0]?.message, /required/, 'blank title refused');
  const missingArg = await gql(api, op, `mutation { createJob(input: { site: "api", jobUrl: "https://api/3", title: "X" }) { result { rowId } } }`);
  t.match(missingArg.body.errors?.[0]?.message, /company/, 'company is a required argument');
});

t.test('archiveJob archives the posting and removes its queue entry', async (t) => {
  t.ok(await queueEntry(db.pool, ids.E));
  const data = dataOf(await gql(api, op, `mutation($id: UUID!) { archiveJob(input: { jobId: $id }) { result { status } } }`, { id: ids.E }));
  t.equal(data.archiveJob.result.status, 'archived');
  t.equal((await q(`select status from app.jobs where id = $1`, [ids.E]))[0].status, 'archived');
  t.notOk(await queueEntry(db.pool, ids.E), 'queue entry removed');
  const unknown = await gql(api, op, `mutation { archiveJob(input: { jobId: "00000000-0000-0000-0000-000000000000" }) { result { status } } }`);
  t.match(unknown.body.errors?.[0]?.message, /no posting has id/);
});

t.test('testJobReview reviews now and stores nothing', async (t) => {
  const before = await q(`select count(*)::int as reviews, max(updated_at) as last from app.job_reviews`);
  const queueBefore = await q(`select count(*)::int as n from graphile_worker._private_jobs`);
  const data = dataOf(
    await gql(api, op, `mutation($id: UUID!) { testJobReview(input: { jobId: $id }) { result { jobId recommend confidence rationale overallAlignmentScore tldrSummary reviewer providerCalled stored output } } }`, { id: ids.B }),
  );
  const r = data.testJobReview.result;
  t.equal(r.jobId, ids.B);
  t.equal(r.stored, false);
  t.equal(r.providerCalled, true);
  t.match(r.reviewer, /^heuristic/);
  t.type(r.recommend, 'boolean');
  t.ok(r.output.dimensions.north_star, 'the whole output, dimensions included');
  t.same(await q(`select count(*)::int as reviews, max(updated_at) as last from app.job_reviews`), before, 'no review stored or changed');
  t.same(await q(`select count(*)::int as n from graphile_worker._private_jobs`), queueBefore, 'nothing queued');
  const unknown = await gql(api, op, `mutation { testJobReview(input: { jobId: "00000000-0000-0000-0000-000000000000" }) { result { jobId } } }`);
  t.match(unknown.body.errors?.[0]?.message, /no posting has id/);
});
