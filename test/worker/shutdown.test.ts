// SIGTERM during reviews: stop taking work, let running reviews finish within
// the shutdown timeout, hand back the rest, exit 0.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker } from './processes.ts';

const env = (url: string, timeout: string) => ({
  JOB_REVIEW_PROVIDER: 'openai',
  OPENAI_BASE_URL: url,
  OPENAI_TIMEOUT_MS: '600000',
  JOB_REVIEW_SHUTDOWN_TIMEOUT: timeout,
  WORKER_CONCURRENCY: '3',
  JOB_REVIEW_MIN_SALARY: '0',
  JOB_REVIEW_MAX_AGE_DAYS: '36500',
});

async function settled(pool: import('../../src/db/pool.ts').Pool) {
  const { rows } = await pool.query(
    `select j.status, j.review_attempts, q.locked_at, q.key is not null as queued
       from app.jobs j left join graphile_worker.jobs q on q.key = 'review:' || j.id`,
  );
  return rows;
}

t.test('reviews that finish within the timeout are recorded; exit 0', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const llm = await startFakeLlm({ reply: reply.delay(1500) });
  t.teardown(() => llm.close());
  const worker = await spawnWorker(url, env(llm.url, '20'));
  await insertPostings(pool, fixturePostings(6, 'term-finish'));
  await waitFor('reviews in flight', async () => llm.inFlight > 0);
  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  t.equal(exit.code, 0, 'exit code 0');
  const rows = await settled(pool);
  t.equal(rows.length, 6);
  for (const r of rows) {
    if (r.status === 'reviewed') t.notOk(r.queued, 'a reviewed posting has no queue entry');
    else {
      t.equal(r.status, 'pending_review', 'the rest are back to pending_review');
      t.ok(r.queued, 'with a queue entry');
      t.equal(r.locked_at, null, 'that is unlocked');
    }
  }
  t.ok(rows.some((r) => r.status === 'reviewed'), 'the reviews in flight finished');
});

t.test('reviews still running at the timeout are handed back, attempts not used', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const llm = await startFakeLlm({ reply: reply.hang() });
  t.teardown(() => llm.close());
  const worker = await spawnWorker(url, env(llm.url, '1'));
  await insertPostings(pool, fixturePostings(5, 'term-handback'));
  await waitFor('3 reviews in flight', async () => llm.inFlight === 3);
  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  t.equal(exit.code, 0, 'exit code 0');
  const rows = await settled(pool);
  t.equal(rows.length, 5);
  t.same(
    rows.map((r) => [r.status, r.review_attempts, r.queued, r.locked_at]),
    Array(5).fill(['pending_review', 0, true, null]),
    'every posting pending_review, no attempt used, queue entry present and unlocked',
  );
});
