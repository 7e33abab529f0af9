// Scheduled work: the sweep and retention, as the crontab runs them.
import t from 'tap';
import { applyRetention, crontab, nightlyBackfill, sweepPending } from '../../src/worker/scheduled.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { quietLog, testConfig } from '../helpers/worker.ts';

t.test('the crontab names both tasks, and is empty when scheduling is off', async (t) => {
  const tab = crontab(testConfig());
  t.match(tab, /^\*\/5 \* \* \* \* sweep_pending /m);
  t.match(tab, /^17 3 \* \* \* apply_retention /m);
  t.match(tab, /^47 3 \* \* \* backfill_prefilter /m);
  t.equal(crontab(testConfig({ JOB_REVIEW_CRON: 'false' })), '');
});

t.test('the sweep queues a posting inserted while auto-enqueue was off', async (t) => {
  const { pool } = await createTestDatabase(t);
  await pool.query(`alter table app.jobs disable trigger _500_enqueue_inserted`);
  const { rows: [job] } = await pool.query(`insert into app.jobs (site, job_url, title, company) values ('s', 'https://s/1', 'Engineer', 'Sweep Co') returning id`);
  await pool.query(`alter table app.jobs enable trigger _500_enqueue_inserted`);
  t.equal((await pool.query(`select count(*)::int n from graphile_worker.jobs`)).rows[0].n, 0, 'not queued by the insert');
  const deps = { pool, config: testConfig(), log: quietLog() };
  t.equal(await sweepPending(deps), 1);
  t.same((await pool.query(`select key from graphile_worker.jobs`)).rows, [{ key: `review:${job.id}` }]);
  t.equal(await sweepPending(deps), 0, 'a second sweep finds nothing');
});

t.test('retention archives exactly the old postings and prunes old delivery logs', async (t) => {
  const { pool } = await createTestDatabase(t);
  await pool.query(
    `insert into app.jobs (site, job_url, title, company, status, ingested_at) values
       ('r', '1', 'Old reviewed', 'A', 'reviewed', now() - interval '100 days'),
       ('r', '2', 'Old error', 'B', 'error', now() - interval '91 days'),
       ('r', '3', 'Old pending', 'C', 'pending_review', now() - interval '100 days'),
       ('r', '4', 'New reviewed', 'D', 'reviewed', now() - interval '89 days'),
       ('r', '5', 'Old in review', 'E', 'in_review', now() - interval '100 days')`,
  );
  const { rows: [hook] } = await pool.query(`select id from app.create_webhook('http://127.0.0.1:9/x', array['review.completed'], 'secret-secret-secret')`);
  await pool.query(
    `insert into app.webhook_deliveries (webhook_id, event, delivery_id, attempt, succeeded, created_at)
     values ($1, 'review.completed', '1', 1, true, now() - interval '40 days'), ($1, 'review.completed', '2', 1, true, now() - interval '1 day')`,
    [hook.id],
  );
  const result = await applyRetention({ pool, config: testConfig({ JOB_REVIEW_RETENTION_DAYS: '90', JOB_REVIEW_DELIVERY_LOG_DAYS: '30' }), log: quietLog() });
  t.same(result, { archived: 2, deliveries_pruned: 1 });
  const { rows } = await pool.query(`select title, status from app.jobs order by job_url`);
  t.same(rows.map((r) => `${r.title}:${r.status}`), ['Old reviewed:archived', 'Old error:archived', 'Old pending:pending_review', 'New reviewed:reviewed', 'Old in review:in_review']);
  const off = await applyRetention({ pool, config: testConfig(), log: quietLog() });
  t.same(off, { archived: 0, deliveries_pruned: 0 }, 'retention 0 keeps postings; the remaining log row is recent');
});

t.test('the nightly backfill runs only when the pre-filter settings changed', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { rows } = await pool.query(
    `insert into app.jobs (site, job_url, title, company, status, "interval", max_amount) values
       ('b', '1', 'Rich', 'R', 'reviewed', 'yearly', 200000),
       ('b', '2', 'Modest', 'M', 'reviewed', 'yearly', 150000)
     returning id, title`,
  );
  const id = Object.fromEntries(rows.map((r) => [r.title, r.id]));
  await pool.query(
    `insert into app.job_reviews (job_id, recommend, overall_alignment_score, pre_filter, reviewer) values
       ($1, true, 7, '{"recommend": true, "reason": null}', 'heuristic@1'),
       ($2, false, null, '{"recommend": false, "reason": "below the floor"}', 'pre_filter')`,
    [id.Rich, id.Modest],
  );
  const deps = (minSalary: string) => ({ pool, config: testConfig({ JOB_REVIEW_MIN_SALARY: minSalary }), log: quietLog() });
  t.same(await nightlyBackfill(deps('180000')), { ran: false, reason: 'first run: settings recorded' });
  t.same(await nightlyBackfill(deps('180000')), { ran: false, reason: 'settings unchanged' });
  const lowered = await nightlyBackfill(deps('100000'));
  t.same(lowered, { ran: true, checked: 2, requeued: 1, from: { minSalary: 180000, maxAgeDays: 21 } }, 'the posting the new floor lets through goes back for review');
  const { rows: after } = await pool.query(`select title, status from app.jobs order by job_url`);
  t.same(after.map((r) => `${r.title}:${r.status}`), ['Rich:reviewed', 'Modest:pending_review']);
  t.same((await pool.query(`select key from graphile_worker.jobs`)).rows, [{ key: `review:${id.Modest}` }], 'and is queued');
  t.same(await nightlyBackfill(deps('100000')), { ran: false, reason: 'settings unchanged' }, 'the new settings are recorded');
});
