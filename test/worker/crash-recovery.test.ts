// A worker that dies holding postings (SIGKILL) or is cut off and comes back
// (SIGSTOP, then SIGCONT): live workers take its postings over within a
// minute, and no posting gets two reviews.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { installReviewWriteAudit, waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker, stopWorker } from './processes.ts';

const openai = (url: string) => ({
  JOB_REVIEW_PROVIDER: 'openai',
  OPENAI_BASE_URL: url,
  OPENAI_API_KEY: 'sk-test-crash',
  OPENAI_TIMEOUT_MS: '600000',
  JOB_REVIEW_WORKER_TIMEOUT: '3',
  WORKER_CONCURRENCY: '4',
  // Every fixture passes the pre-filter, so each review really calls the LLM.
  JOB_REVIEW_MIN_SALARY: '0',
  JOB_REVIEW_MAX_AGE_DAYS: '36500',
});

t.test('SIGKILL while reviews are in flight: another worker reviews them within 60 s, once', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  await installReviewWriteAudit(pool);
  const llm = await startFakeLlm({ reply: reply.hang() });
  t.teardown(() => llm.close());
  const doomed = await spawnWorker(url, openai(llm.url));
  const ids = await insertPostings(pool, fixturePostings(4, 'kill'));
  await waitFor('4 postings in review by the doomed worker', async () =>
    (await pool.query(`select count(*)::int n from app.jobs where status = 'in_review' and claimed_by = $1`, [doomed.id])).rows[0].n === 4,
  );
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const killedAt = Date.now();
  llm.setDefault(reply.ok());

  const rescuer = await spawnWorker(url, openai(llm.url));
  t.teardown(() => stopWorker(rescuer));
  await waitFor('all reviewed by the rescuer', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 4, 60_000);
  t.ok(Date.now() - killedAt < 60_000, 'taken over within 60 seconds');
  const writes = await pool.query(`select job_id, count(*)::int n from public.review_writes group by job_id`);
  t.same(writes.rows.map((r) => r.n), [1, 1, 1, 1], 'one review each');
  const attempts = await pool.query(`select review_attempts from app.jobs where id = any($1::uuid[])`, [ids]);
  t.ok(attempts.rows.every((r) => r.review_attempts === 2), 'the interrupted attempt counts');
  const dead = await pool.query(`select count(*)::int n from app_private.workers where id = $1`, [doomed.id]);
  t.equal(dead.rows[0].n, 0, 'the dead worker was removed from the registry');
  t.equal((await pool.query(`select count(*)::int n from graphile_worker.jobs`)).rows[0].n, 0, 'no queue entry left locked');
});

t.test('a worker presumed dead that comes back writes no second review', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  await installReviewWriteAudit(pool);
  // The first two calls (the soon-frozen worker's) answer only after 8 s; later calls at once.
  const llm = await startFakeLlm({ reply: (_req, i) => (i < 2 ? reply.delay(8000) : reply.ok()) });
  t.teardown(() => llm.close());
  const zombie = await spawnWorker(url, { ...openai(llm.url), LOG_LEVEL: 'warn' });
  await insertPostings(pool, fixturePostings(2, 'zombie'));
  await waitFor('2 postings in review by the zombie', async () =>
    (await pool.query(`select count(*)::int n from app.jobs where status = 'in_review' and claimed_by = $1`, [zombie.id])).rows[0].n === 2,
  );
  await waitFor('both LLM calls made', async () => llm.requests.length === 2);
  zombie.child.kill('SIGSTOP'); // a cut-off host: alive, silent
  t.teardown(() => {
    zombie.child.kill('SIGCONT');
    return stopWorker(zombie);
  });

  const rescuer = await spawnWorker(url, openai(llm.url));
  t.teardown(() => stopWorker(rescuer));
  await waitFor('reviewed by the rescuer', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 2, 60_000);

  // Let the zombie's delayed answers arrive, then wake it up.
  await waitFor('the delayed answers are due', async () => Date.now() - llm.requests[1].receivedAt > 8500, 20_000);
  zombie.child.kill('SIGCONT');
  await waitFor('the zombie noticed its claims are gone', async () => /review not recorded/.test(zombie.output()), 30_000);
  const writes = await pool.query(`select job_id, count(*)::int n from public.review_writes group by job_id`);
  t.same(writes.rows.map((r) => r.n), [1, 1], 'still one review each');
  const again = await waitFor('the zombie registered again', async () =>
    (await pool.query(`select count(*)::int n from app_private.workers where id = $1`, [zombie.id])).rows[0].n === 1,
  );
  t.ok(again);
});
