// Chaos 1, worker churn: three worker processes share 2,000 postings while a
// loop SIGKILLs a random one every 1-3 s and starts a replacement. Every
// posting is reviewed exactly once, none is left stuck, and no posting stays
// in_review much longer than the dead-worker timeout.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { count, figures, installChaosAudit, openaiEnv, reportRow, sleep, spawnWorker, stopWorker, type WorkerProcess } from './chaos.ts';

const POSTINGS = Number(process.env.CHAOS_CHURN_POSTINGS ?? 2000);
const WORKERS = 3;

t.test('worker churn: SIGKILL a random worker every 1-3 s, start a replacement', async (t) => {
  const started = Date.now();
  const { pool, url } = await createTestDatabase(t);
  await installChaosAudit(pool);
  // Each review takes 300-900 ms at the "LLM": every worker always has reviews
  // in flight when it is killed, and the run lasts long enough for many kills.
  const llm = await startFakeLlm({ reply: () => reply.delay(300 + Math.floor(Math.random() * 600)) });
  t.teardown(() => llm.close());
  const env = openaiEnv(llm.url, { WORKER_CONCURRENCY: '8', JOB_REVIEW_WORKER_TIMEOUT: '3' });

  const workers: WorkerProcess[] = await Promise.all(Array.from({ length: WORKERS }, () => spawnWorker(url, env)));
  t.teardown(() => Promise.all(workers.map(stopWorker)));

  // Postings arrive in 20 inserts over the first seconds of the churn.
  const arrivals = (async () => {
    for (let b = 0; b < 20; b++) {
      await insertPostings(pool, fixturePostings(POSTINGS / 20, `churn${b}`));
      await sleep(150);
    }
  })();

  let kills = 0;
  let heldAtKill = 0;
  let done = false;
  const churn = (async () => {
    while (!done) {
      await sleep(1000 + Math.random() * 2000);
      if (done) break;
      const i = Math.floor(Math.random() * workers.length);
      const victim = workers[i];
      heldAtKill += await count(pool, `select count(*)::int n from app.jobs where status = 'in_review' and claimed_by = $1`, [victim.id]);
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills++;
      workers[i] = await spawnWorker(url, env);
    }
  })();

  await arrivals;
  try {
    await waitFor(`${POSTINGS} reviewed`, async () => (await count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`)) === POSTINGS, 240_000, 250);
  } finally {
    done = true;
    await churn;
  }
  // Let the survivors' sweeps clean up after the last victim.
  await waitFor('the queue empty', async () => (await count(pool, `select count(*)::int n from graphile_worker.jobs`)) === 0, 30_000);

  const f = await figures(pool);
  t.ok(kills >= 3, `${kills} workers SIGKILLed (holding ${heldAtKill} postings in review between them)`);
  t.equal(f.statuses.reviewed, POSTINGS, 'every posting reviewed');
  t.same(f.statuses, { reviewed: POSTINGS }, 'nothing pending, in_review or in error');
  t.equal(f.reviewsWritten, POSTINGS, 'one review write per posting');
  t.equal(f.duplicates, 0, 'no posting reviewed twice');
  t.equal(f.queueLeft, 0, 'no queue entry left (locked or not)');
  t.ok(f.maxInReviewSeconds < 60, `longest stay in in_review ${f.maxInReviewSeconds} s (< 60 s)`);

  reportRow(t, {
    scenario: '1 worker churn',
    faults: `${kills} SIGKILLs (${heldAtKill} postings in flight)`,
    postingsExpected: POSTINGS,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: `${WORKERS} workers x concurrency 8, fake LLM 300-900 ms, worker timeout 3 s`,
  });
});
