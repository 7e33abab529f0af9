// JOB_REVIEW_ENABLED=false: workers take no review work; with true again, they do.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker, stopWorker } from './processes.ts';

t.test('disabled, then enabled', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const paused = await spawnWorker(url, { JOB_REVIEW_ENABLED: 'false' });
  await insertPostings(pool, fixturePostings(5, 'paused'));
  // Well past a poll interval and a new-job notification: still untouched.
  await sleep(3000);
  const during = await pool.query(`select status, review_attempts from app.jobs`);
  t.same(during.rows.map((r) => r.status), Array(5).fill('pending_review'), 'nothing reviewed or claimed');
  t.ok(during.rows.every((r) => r.review_attempts === 0));
  const locked = await pool.query(`select count(*)::int n from graphile_worker.jobs where locked_at is not null`);
  t.equal(locked.rows[0].n, 0, 'no queue entry locked');
  t.match(paused.output(), /reviews disabled/i, 'the worker says why it is idle');
  await stopWorker(paused);

  const active = await spawnWorker(url, { JOB_REVIEW_ENABLED: 'true' });
  t.teardown(() => stopWorker(active));
  await waitFor('all reviewed', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 5);
  t.pass('everything reviewed once enabled');
});
