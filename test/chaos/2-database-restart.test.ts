// Chaos 2, database restart: a PostgreSQL cluster of the test's own (never
// the machine's shared service) is restarted twice while two workers are
// reviewing. The workers are the same processes before and after: they
// reconnect on their own and finish; nothing is lost, nothing doubled.
import t from 'tap';
import { createPool } from '../../src/db/pool.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { count, figures, installChaosAudit, openaiEnv, reportRow, spawnWorker, startOwnCluster, stopWorker } from './chaos.ts';

const POSTINGS = 600;
const RESTARTS = 2;

t.test('database restart mid-run: workers reconnect and finish', async (t) => {
  const started = Date.now();
  const cluster = await startOwnCluster();
  t.teardown(() => cluster.stop());
  const pool = createPool(cluster.url, { max: 3 });
  t.teardown(() => pool.end());
  await installChaosAudit(pool);
  const llm = await startFakeLlm({ reply: () => reply.delay(200 + Math.floor(Math.random() * 300)) });
  t.teardown(() => llm.close());
  const env = openaiEnv(llm.url, { WORKER_CONCURRENCY: '8', JOB_REVIEW_WORKER_TIMEOUT: '5' });
  const workers = await Promise.all([1, 2].map(() => spawnWorker(cluster.url, env)));
  t.teardown(async () => {
    if (!t.passing()) {
      t.comment(`statuses: ${JSON.stringify(await figures(pool).then((f) => f.statuses).catch((e) => String(e)))}`);
      for (const w of workers) t.comment(`worker ${w.id} (exit ${w.child.exitCode ?? w.child.signalCode}) output tail:\n${w.output().slice(-3000)}`);
    }
    await Promise.all(workers.map(stopWorker));
  });

  await insertPostings(pool, fixturePostings(POSTINGS, 'restart'));
  // A query that fails while the server is down counts as "not yet".
  const reviewed = () => count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`).catch(() => -1);

  let inFlightAtRestart = 0;
  for (let r = 1; r <= RESTARTS; r++) {
    await waitFor(`${Math.round((r * POSTINGS) / (RESTARTS + 1))} reviewed before restart ${r}`, async () => (await reviewed()) >= (r * POSTINGS) / (RESTARTS + 1), 120_000, 100);
    inFlightAtRestart += await count(pool, `select count(*)::int n from app.jobs where status = 'in_review'`);
    await cluster.restart(2000); // fast shutdown (sessions terminated), 2 s down, same port
    t.comment(`restart ${r} done at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  await waitFor(`all ${POSTINGS} reviewed`, async () => (await reviewed()) === POSTINGS, 180_000, 250);
  await waitFor('the queue empty', async () => (await count(pool, `select count(*)::int n from graphile_worker.jobs`).catch(() => -1)) === 0, 30_000);

  for (const w of workers) t.equal(w.child.exitCode ?? w.child.signalCode, null, `worker ${w.id} never exited`);
  const f = await figures(pool);
  t.same(f.statuses, { reviewed: POSTINGS }, 'every posting reviewed; none pending, in_review or in error');
  t.equal(f.reviewsWritten, POSTINGS, 'one review write per posting');
  t.equal(f.duplicates, 0, 'no posting reviewed twice');
  t.equal(f.queueLeft, 0, 'no queue entry left');
  for (const w of workers) {
    t.match(w.output(), /waiting for the database and retrying/, `worker ${w.id} logged the outage`);
    t.match(w.output(), /PostgreSQL reachable again/, `worker ${w.id} logged the recovery`);
  }
  const example = workers[0].output().split('\n').find((l) => /waiting for the database/.test(l));
  if (example) t.comment(`worker log: ${example}`);

  reportRow(t, {
    scenario: '2 database restart',
    faults: `${RESTARTS} restarts, 2 s down each (${inFlightAtRestart} postings in review)`,
    postingsExpected: POSTINGS,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: '2 workers x concurrency 8, fake LLM 200-500 ms, own PostgreSQL 18 cluster',
  });
});
