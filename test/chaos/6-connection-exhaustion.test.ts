// Chaos 6, connection exhaustion: another client takes every connection
// PostgreSQL allows (a cluster of the test's own, max_connections 30, no
// reserved slots) and the worker's connections are terminated, so it cannot
// get one back. The running worker says so plainly in its log, waits, and
// finishes once connections free up; a worker started meanwhile exits with a
// one-line reason instead of hanging. Nothing lost, nothing doubled.
import t from 'tap';
import pg from 'pg';
import { createPool } from '../../src/db/pool.ts';
import { runCli, cliEnv } from '../helpers/cli.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { figures, installChaosAudit, openaiEnv, reportRow, sleep, spawnWorker, startOwnCluster, stopWorker } from './chaos.ts';

const POSTINGS = 400;
const MAX_CONNECTIONS = 30;
const HOLD_MS = 10_000;

t.test('connection exhaustion: the worker reports it and recovers', async (t) => {
  const started = Date.now();
  const cluster = await startOwnCluster({ settings: { max_connections: MAX_CONNECTIONS, superuser_reserved_connections: 0, reserved_connections: 0 } });
  t.teardown(() => cluster.stop());
  const pool = createPool(cluster.url, { max: 2 });
  t.teardown(() => (pool.ended ? undefined : pool.end()));
  await installChaosAudit(pool);
  // One connection the test keeps for itself throughout.
  const mon = new pg.Client({ connectionString: cluster.url, application_name: 'chaos-monitor' });
  mon.on('error', () => {});
  await mon.connect();
  t.teardown(() => mon.end().catch(() => {}));
  const n = async (sql: string) => (await mon.query(sql)).rows[0].n as number;

  const llm = await startFakeLlm({ reply: () => reply.delay(100 + Math.floor(Math.random() * 200)) });
  t.teardown(() => llm.close());
  const env = openaiEnv(llm.url, { WORKER_CONCURRENCY: '4', JOB_REVIEW_WORKER_TIMEOUT: '30' });
  const worker = await spawnWorker(cluster.url, env);
  t.teardown(async () => {
    if (!t.passing()) t.comment(`worker output tail:\n${worker.output().slice(-3000)}`);
    await stopWorker(worker);
  });
  await insertPostings(pool, fixturePostings(POSTINGS, 'exhaust'));
  await pool.end();
  await waitFor('100 reviewed', async () => (await n(`select count(*)::int n from app.jobs where status = 'reviewed'`)) >= 100, 60_000);

  // The hog: open connections until PostgreSQL refuses, kick the worker's
  // connections out, and take the freed slots too.
  const hog: pg.Client[] = [];
  let refusal = '';
  const grab = async () => {
    for (;;) {
      const c = new pg.Client({ connectionString: cluster.url, application_name: 'chaos-hog' });
      c.on('error', () => {});
      try {
        await c.connect();
        hog.push(c);
      } catch (error) {
        refusal ||= (error as Error).message;
        return;
      }
    }
  };
  t.teardown(() => Promise.all(hog.map((c) => c.end().catch(() => {}))));
  await grab();
  // Terminate the worker's connections and take each freed slot before the
  // worker gets it back (it retries every 100-200 ms; the hog never stops
  // trying); repeat until the worker holds none.
  let terminated = 0;
  const workerConnections = () => n(`select count(*)::int n from pg_stat_activity where application_name = 'job-review worker'`);
  for (let round = 0; round < 40; round++) {
    terminated += await n(`select count(pg_terminate_backend(pid))::int n from pg_stat_activity where application_name = 'job-review worker'`);
    const until = Date.now() + 400;
    while (Date.now() < until) await grab();
    if ((await workerConnections()) === 0) break;
  }
  t.equal(await workerConnections(), 0, 'the worker holds no connection');
  const reviewedAtExhaustion = await n(`select count(*)::int n from app.jobs where status = 'reviewed'`);
  const total = await n(`select count(*)::int n from pg_stat_activity where backend_type = 'client backend'`);
  t.comment(`hog holds ${hog.length} connections, ${total} client connections in all (max_connections ${MAX_CONNECTIONS}); ${terminated} worker connections terminated`);
  t.match(refusal, /too many clients/, `PostgreSQL refuses more: "${refusal}"`);

  // A worker started now cannot connect: it says why in one line and exits 1.
  const late = await runCli(['worker'], { env: cliEnv({ ...env, DATABASE_URL: cluster.url }), timeoutMs: 60_000 });
  t.equal(late.code, 1, 'a worker started during the exhaustion exits 1');
  t.match(late.stderr + late.stdout, /Cannot connect to PostgreSQL at .*too many connections/, 'and names the reason');

  await sleep(HOLD_MS);
  const reviewedDuring = (await n(`select count(*)::int n from app.jobs where status = 'reviewed'`)) - reviewedAtExhaustion;
  t.equal(reviewedDuring, 0, 'no review recorded while every connection is taken');
  t.match(worker.output(), /PostgreSQL connection limit reached \(max_connections\).*waiting for the database and retrying/, 'the running worker reports the connection limit in its log');
  t.equal(worker.child.exitCode, null, 'the running worker did not exit');

  await Promise.all(hog.splice(0).map((c) => c.end().catch(() => {})));
  const freedAt = Date.now();
  await waitFor(`all ${POSTINGS} reviewed`, async () => (await n(`select count(*)::int n from app.jobs where status = 'reviewed'`)) === POSTINGS, 120_000, 250);
  const recoverySeconds = (Date.now() - freedAt) / 1000;
  await waitFor('the queue empty', async () => (await n(`select count(*)::int n from graphile_worker.jobs`)) === 0, 30_000);
  t.match(worker.output(), /PostgreSQL reachable again/, 'the worker reports the recovery');

  const poolForFigures = createPool(cluster.url, { max: 1 });
  const f = await figures(poolForFigures);
  await poolForFigures.end();
  t.same(f.statuses, { reviewed: POSTINGS }, 'every posting reviewed; none stuck');
  t.equal(f.reviewsWritten, POSTINGS, 'one review write per posting');
  t.equal(f.duplicates, 0, 'no posting reviewed twice');
  const example = worker.output().split('\n').find((l) => /connection limit reached/.test(l));
  if (example) t.comment(`worker log: ${example}`);

  reportRow(t, {
    scenario: '6 connection exhaustion',
    faults: `all ${MAX_CONNECTIONS} connections held ${HOLD_MS / 1000} s, ${terminated} worker connections terminated`,
    postingsExpected: POSTINGS,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: `${reviewedAtExhaustion} reviewed before, ${reviewedDuring} during, the rest within ${recoverySeconds.toFixed(1)} s of freeing; a worker started meanwhile exits 1 "too many connections"`,
  });
});
