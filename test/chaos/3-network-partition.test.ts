// Chaos 3, network partition: a worker runs in its own network namespace and
// reaches PostgreSQL (a cluster of the test's own, listening on a veth
// address) over TCP. Its link is cut while it holds postings (its LLM is
// slow, so it holds them for 20 s). Live workers take them over within 60 s;
// when the link comes back the cut-off worker finds its claims gone and
// writes no second review, registers again and carries on.
import t from 'tap';
import { createPool } from '../../src/db/pool.ts';
import { reply, startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { canUseNetns, count, createNetns, figures, installChaosAudit, openaiEnv, reportRow, spawnWorker, spawnWorkerInNetns, startOwnCluster, stopWorker, type WorkerProcess } from './chaos.ts';

const POSTINGS = 60;
const HELD = 4; // the cut-off worker's concurrency
const SLOW_MS = 20_000;

const skip = canUseNetns();

t.test('network partition: a cut-off worker loses its postings to live workers and writes no second review', { skip: skip ?? false }, async (t) => {
  const started = Date.now();
  const ns = createNetns('p3', 13);
  const workers: WorkerProcess[] = [];
  let cluster: Awaited<ReturnType<typeof startOwnCluster>> | undefined;
  const closers: Array<() => Promise<unknown>> = [];
  t.teardown(async () => {
    ns.restore();
    if (!t.passing()) for (const w of workers) t.comment(`worker ${w.id} output tail:\n${w.output().slice(-2500)}`);
    await Promise.all(workers.map((w) => (w.child.kill('SIGKILL'), w.exited)));
    for (const close of closers.reverse()) await close().catch(() => {});
    await cluster?.stop();
    ns.destroy();
  });

  cluster = await startOwnCluster({ settings: { listen_addresses: `127.0.0.1,${ns.hostAddress}` }, hbaAllow: [`${ns.nsAddress}/32`] });
  const pool = createPool(cluster.url, { max: 3 });
  closers.push(() => pool.end());
  await installChaosAudit(pool);
  const overVeth = new URL(cluster.url);
  overVeth.hostname = ns.hostAddress;

  // The cut-off worker's LLM (reachable from the namespace) answers after 20 s; the live workers' at once-ish.
  const slowLlm = await startFakeLlm({ host: ns.hostAddress, reply: reply.delay(SLOW_MS) });
  closers.push(() => slowLlm.close());
  const fastLlm = await startFakeLlm({ reply: () => reply.delay(50 + Math.floor(Math.random() * 150)) });
  closers.push(() => fastLlm.close());
  const timeouts = { JOB_REVIEW_WORKER_TIMEOUT: '5', OPENAI_TIMEOUT_MS: '60000' };

  const cutOff = await spawnWorkerInNetns(ns.name, overVeth.toString(), openaiEnv(slowLlm.url, { ...timeouts, WORKER_CONCURRENCY: String(HELD) }));
  workers.push(cutOff);
  await insertPostings(pool, fixturePostings(POSTINGS, 'partition'));
  await waitFor(`the namespaced worker holding ${HELD} postings`, async () =>
    (await count(pool, `select count(*)::int n from app.jobs where status = 'in_review' and claimed_by = $1`, [cutOff.id])) === HELD,
  );
  await waitFor('its LLM calls in flight', async () => slowLlm.requests.length === HELD);
  const held = (await pool.query(`select id from app.jobs where status = 'in_review' and claimed_by = $1`, [cutOff.id])).rows.map((r) => r.id as string);

  for (let i = 0; i < 2; i++) workers.push(await spawnWorker(cluster.url, openaiEnv(fastLlm.url, { ...timeouts, WORKER_CONCURRENCY: '8' })));
  await waitFor('the live workers reviewing the rest', async () => (await count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`)) >= POSTINGS - HELD - 10);

  ns.cut();
  const cutAt = Date.now();
  t.comment(`link cut at ${((cutAt - started) / 1000).toFixed(1)} s; the namespaced worker holds ${held.length} postings`);
  await waitFor('the held postings reviewed by live workers', async () =>
    (await count(pool, `select count(*)::int n from app.jobs where id = any($1::uuid[]) and status = 'reviewed'`, [held])) === HELD,
    60_000, 100,
  );
  const takeoverSeconds = (Date.now() - cutAt) / 1000;
  t.ok(takeoverSeconds < 60, `taken over ${takeoverSeconds.toFixed(1)} s after the cut (< 60 s)`);
  const takenBy = await pool.query(`select distinct claimed_by from public.status_changes where job_id = any($1::uuid[]) and to_status = 'in_review' and claimed_by <> $2`, [held, cutOff.id]);
  t.ok(takenBy.rowCount! >= 1 && takenBy.rows.every((r) => r.claimed_by !== cutOff.id), 'reviewed by the live workers');
  await waitFor(`all ${POSTINGS} reviewed`, async () => (await count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`)) === POSTINGS, 60_000);

  // Heal the partition. The 20 s answers reach the cut-off worker, which tries to record them.
  ns.restore();
  const restoredAt = Date.now();
  t.comment(`link restored after ${((restoredAt - cutAt) / 1000).toFixed(1)} s`);
  await waitFor('the cut-off worker noticed its claims were taken over', async () => (cutOff.output().match(/review not recorded/g) ?? []).length >= HELD, 90_000, 200);
  await waitFor('the cut-off worker registered again', async () => (await count(pool, `select count(*)::int n from app_private.workers where id = $1`, [cutOff.id])) === 1, 60_000);
  t.match(cutOff.output(), /presumed dead; registered again/, 'it knows it had been presumed dead');

  // It is a normal worker again: more postings are reviewed by everyone, once each.
  slowLlm.setDefault(reply.ok());
  await insertPostings(pool, fixturePostings(20, 'after-partition'));
  await waitFor(`all ${POSTINGS + 20} reviewed`, async () => (await count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`)) === POSTINGS + 20, 60_000);
  await waitFor('the queue empty', async () => (await count(pool, `select count(*)::int n from graphile_worker.jobs`)) === 0, 30_000);

  const f = await figures(pool);
  t.same(f.statuses, { reviewed: POSTINGS + 20 }, 'every posting reviewed; none stuck');
  t.equal(f.reviewsWritten, POSTINGS + 20, 'one review write per posting');
  t.equal(f.duplicates, 0, 'the cut-off worker wrote no second review');
  t.equal(cutOff.child.exitCode, null, 'the cut-off worker is still running');

  reportRow(t, {
    scenario: '3 network partition',
    faults: `veth link cut ${((restoredAt - cutAt) / 1000).toFixed(0)} s while holding ${HELD} postings; taken over in ${takeoverSeconds.toFixed(1)} s`,
    postingsExpected: POSTINGS + 20,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: `namespaced worker (LLM 20 s) + 2 live workers; worker timeout 5 s; ${HELD} stale reviews fenced on return`,
  });
});
