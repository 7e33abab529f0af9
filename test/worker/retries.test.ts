// Retries with backoff, attempts used up, and requeue (DESIGN 6), with a
// real graphile-worker on a real database and providers that fail on purpose.
import t from 'tap';
import { startReviewWorker } from '../../src/worker/runner.ts';
import { createHeuristicProvider } from '../../src/review/providers/heuristic.ts';
import type { ReviewProvider } from '../../src/review/providers/provider.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { quietLog, testConfig, waitFor } from '../helpers/worker.ts';

const heuristic = createHeuristicProvider();

function flakyProvider(failures: number, calls: number[]): ReviewProvider {
  return {
    name: 'flaky@test',
    model: 'flaky',
    async assess(input, ctx) {
      calls.push(Date.now());
      if (calls.length <= failures) throw new Error(`upstream 503 number ${calls.length}`);
      return heuristic.assess(input, ctx);
    },
  };
}

t.test('fails twice then succeeds: reviewed with retry_count 2, gaps follow the backoff', async (t) => {
  const { pool } = await createTestDatabase(t);
  const calls: number[] = [];
  const config = testConfig({ JOB_REVIEW_RETRY_DELAY: '0.4', JOB_REVIEW_MAX_RETRIES: '3' });
  const worker = await startReviewWorker({ pool, config, log: quietLog(), provider: flakyProvider(2, calls), concurrency: 2 });
  t.teardown(() => worker.stop());
  const { rows: [job] } = await pool.query(
    `insert into app.jobs (site, job_url, title, company) values ('t', 'https://t/flaky', 'Senior Engineer', 'Flaky Co') returning id`,
  );
  const review = await waitFor('the review', async () =>
    (await pool.query(`select r.*, j.status, j.review_attempts from app.job_reviews r join app.jobs j on j.id = r.job_id where r.job_id = $1 and j.status = 'reviewed'`, [job.id])).rows[0],
  );
  t.equal(review.retry_count, 2);
  t.equal(review.review_attempts, 3);
  t.equal(review.error_message, null);
  t.type(review.recommend, 'boolean');
  t.equal(calls.length, 3);
  // delay x 2^(attempt-1), plus up to 25% jitter: >= 0.4 s, then >= 0.8 s.
  const gap1 = calls[1] - calls[0];
  const gap2 = calls[2] - calls[1];
  // Never early (a retry may start later than due on a busy machine).
  t.ok(gap1 >= 400, `first gap ${gap1} ms >= 400 ms`);
  t.ok(gap2 >= 800, `second gap ${gap2} ms >= 800 ms`);
});

t.test('the retry schedule: delay x 2^(attempt-1) plus at most 25% jitter, then error', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { rows: [job] } = await pool.query(`insert into app.jobs (site, job_url, title, company) values ('t', 'https://t/sched', 'Engineer', 'Schedule Co') returning id`);
  for (let attempt = 1; attempt <= 4; attempt++) {
    await pool.query(`update app.jobs set status = 'pending_review' where id = $1 and status <> 'pending_review'`, [job.id]);
    const claimed = await pool.query(`select review_attempts from app_private.claim_reviews('w-sched', array[$1::uuid], array[$2::bigint])`, [job.id, attempt]);
    t.equal(claimed.rows[0].review_attempts, attempt);
    const { rows: [r] } = await pool.query(
      `select f.status, extract(epoch from (f.next_review_at - now())) as wait
         from app_private.record_review_failures('w-sched', $1::jsonb, 4, 10) f`,
      [JSON.stringify([{ job_id: job.id, attempt, error: `failure ${attempt}`, retryable: true }])],
    );
    if (attempt < 4) {
      t.equal(r.status, 'pending_review', `attempt ${attempt}: retried`);
      const base = 10 * 2 ** (attempt - 1);
      t.ok(r.wait >= base && r.wait <= base * 1.25, `attempt ${attempt}: waits ${Number(r.wait).toFixed(2)} s, within [${base}, ${base * 1.25}]`);
    } else {
      t.equal(r.status, 'error', 'after the last attempt: error');
      t.equal(r.wait, null, 'and nothing scheduled');
    }
  }
});

t.test('always fails: error after MAX_RETRIES, last error kept, recommend NULL; requeue with a healthy provider reviews it', async (t) => {
  const { pool } = await createTestDatabase(t);
  const calls: number[] = [];
  const config = testConfig({ JOB_REVIEW_RETRY_DELAY: '0.1', JOB_REVIEW_MAX_RETRIES: '3' });
  const broken = await startReviewWorker({ pool, config, log: quietLog(), provider: flakyProvider(Infinity, calls), concurrency: 2 });
  const { rows: [job] } = await pool.query(
    `insert into app.jobs (site, job_url, title, company) values ('t', 'https://t/broken', 'Engineer', 'Broken Co') returning id`,
  );
  const failed = await waitFor('the error state', async () =>
    (await pool.query(`select j.status, j.last_error, j.review_attempts, r.recommend, r.error_message, r.retry_count from app.jobs j left join app.job_reviews r on r.job_id = j.id where j.id = $1 and j.status = 'error'`, [job.id])).rows[0],
  );
  await broken.stop();
  t.equal(calls.length, 3, 'three attempts');
  t.equal(failed.review_attempts, 3);
  t.equal(failed.last_error, 'upstream 503 number 3', 'the last error is kept');
  t.equal(failed.recommend, null, 'an error is never a negative review');
  t.equal(failed.error_message, 'upstream 503 number 3');
  const queued = await pool.query(`select count(*)::int as n from graphile_worker.jobs where key = $1`, [`review:${job.id}`]);
  t.equal(queued.rows[0].n, 0, 'nothing left on the queue');

  const healthy = await startReviewWorker({ pool, config, log: quietLog(), provider: heuristic, concurrency: 2 });
  t.teardown(() => healthy.stop());
  const requeued = await pool.query(`select id from app.requeue_failed_reviews()`);
  t.same(requeued.rows.map((r) => r.id), [job.id]);
  const reviewed = await waitFor('the review after requeue', async () =>
    (await pool.query(`select r.recommend, r.error_message, r.retry_count from app.job_reviews r join app.jobs j on j.id = r.job_id where j.id = $1 and j.status = 'reviewed'`, [job.id])).rows[0],
  );
  t.type(reviewed.recommend, 'boolean');
  t.equal(reviewed.error_message, null);
  t.equal(reviewed.retry_count, 0, 'attempts start again after a requeue');
});

t.test('a posting archived or deleted before its turn is skipped without error', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { rows } = await pool.query(
    `insert into app.jobs (site, job_url, title, company) values ('t', 'a', 'Archived', 'A Co'), ('t', 'd', 'Deleted', 'D Co'), ('t', 'k', 'Kept', 'K Co') returning id, title`,
  );
  const id = Object.fromEntries(rows.map((r) => [r.title, r.id]));
  await pool.query(`update app.jobs set status = 'archived' where id = $1`, [id.Archived]);
  await pool.query(`delete from app.jobs where id = $1`, [id.Deleted]);
  const worker = await startReviewWorker({ pool, config: testConfig(), log: quietLog(), provider: heuristic, concurrency: 2 });
  t.teardown(() => worker.stop());
  await waitFor('the kept posting', async () => (await pool.query(`select 1 from app.jobs where id = $1 and status = 'reviewed'`, [id.Kept])).rowCount);
  await waitFor('an empty queue', async () => (await pool.query(`select count(*)::int n from graphile_worker.jobs`)).rows[0].n === 0);
  const archived = await pool.query(`select status from app.jobs where id = $1`, [id.Archived]);
  t.equal(archived.rows[0].status, 'archived');
  t.equal((await pool.query(`select count(*)::int n from app.job_reviews`)).rows[0].n, 1, 'only the kept posting has a review');
  const failedEntries = await pool.query(`select count(*)::int n from graphile_worker.jobs where last_error is not null`);
  t.equal(failedEntries.rows[0].n, 0, 'no queue entry failed');
});
