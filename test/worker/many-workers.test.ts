// Three worker processes share 500 postings: each is reviewed exactly once.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { installReviewWriteAudit, waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker, stopWorker } from './processes.ts';

t.test('three workers, 500 postings, one review each', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  await installReviewWriteAudit(pool);
  const workers = await Promise.all([1, 2, 3].map(() => spawnWorker(url, { WORKER_CONCURRENCY: '6' })));
  t.teardown(() => Promise.all(workers.map(stopWorker)));
  t.equal(new Set(workers.map((w) => w.id)).size, 3, 'three distinct workers');

  // Ten inserts of 50, so work arrives while the workers are busy.
  for (let batch = 0; batch < 10; batch++) await insertPostings(pool, fixturePostings(50, `many${batch}`));
  await waitFor('500 reviewed', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 500, 120_000);

  const writes = await pool.query(`select job_id, count(*)::int n from public.review_writes group by job_id`);
  t.equal(writes.rowCount, 500, 'every posting has a review write');
  t.same(writes.rows.filter((r) => r.n !== 1), [], 'no posting was written twice');
  const states = await pool.query(`select status, count(*)::int n from app.jobs group by status`);
  t.same(states.rows, [{ status: 'reviewed', n: 500 }], 'none left in_review or pending');
  const queue = await pool.query(`select count(*)::int n from graphile_worker.jobs`);
  t.equal(queue.rows[0].n, 0, 'the queue is empty');
  const registered = await pool.query(`select count(*)::int n from app_private.workers`);
  t.equal(registered.rows[0].n, 3, 'three live workers registered');
});
