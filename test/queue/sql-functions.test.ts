// The shared SQL functions every surface calls (DESIGN 3, 7).
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';

t.test('queue_pending_reviews', async (t) => {
  const { pool } = await createTestDatabase(t);
  // Inserted with the enqueue trigger off, as a bulk load or a restore would.
  await pool.query(`alter table app.jobs disable trigger _500_enqueue_inserted`);
  await pool.query(
    `insert into app.jobs (site, job_url, title, company, priority)
     select 's', 'https://q/' || i, 'Role ' || i, 'Company ' || i, (10 - i)::smallint from generate_series(1, 7) i`,
  );
  await pool.query(`insert into app.jobs (site, job_url, title, company, status) values ('s', 'https://q/done', 'Done', 'Done Co', 'reviewed')`);
  await pool.query(`alter table app.jobs enable trigger _500_enqueue_inserted`);
  // One more pending posting, queued by the trigger as usual.
  await pool.query(`insert into app.jobs (site, job_url, title, company) values ('s', 'https://q/live', 'Live', 'Live Co')`);
  const entries = async () => Number((await pool.query(`select count(*) from graphile_worker.jobs`)).rows[0].count);
  t.equal(await entries(), 1);

  const first = (await pool.query(`select * from app.queue_pending_reviews(5, 4)`)).rows[0];
  t.same(first, { queued_count: 5, already_queued: 1, total_pending: 8 });
  t.equal(await entries(), 6);
  const queued = await pool.query(
    `select j.title, j.max_review_attempts from app.jobs j
      where exists (select 1 from graphile_worker.jobs q where q.key = 'review:' || j.id) and j.title like 'Role%' order by j.priority`,
  );
  t.same(queued.rows.map((r) => r.title), ['Role 7', 'Role 6', 'Role 5', 'Role 4', 'Role 3'], 'highest priority (lowest number) first');
  t.ok(queued.rows.every((r) => r.max_review_attempts === 4), '--retries is kept on the posting');

  const second = (await pool.query(`select * from app.queue_pending_reviews(50)`)).rows[0];
  t.same(second, { queued_count: 2, already_queued: 6, total_pending: 8 });
  const third = (await pool.query(`select * from app.queue_pending_reviews(50)`)).rows[0];
  t.same(third, { queued_count: 0, already_queued: 8, total_pending: 8 }, 'nothing queued when called again');
  t.equal(await entries(), 8, 'the reviewed posting was never queued');

  await t.rejects(pool.query(`select app.queue_pending_reviews(0)`), { code: '22023', message: /max_jobs must be at least 1/ });
  await t.rejects(pool.query(`select app.queue_pending_reviews(5, 0)`), { code: '22023', message: /max_retries/ });
});

t.test('requeue_failed_reviews', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { rows } = await pool.query(
    `insert into app.jobs (site, job_url, title, company, status, review_attempts, last_error)
     select 's', 'https://r/' || i, 'Failed ' || i, 'F' || i, 'error', 3, 'boom' from generate_series(1, 3) i returning id`,
  );
  const one = await pool.query(`select id, status, review_attempts, last_error from app.requeue_failed_reviews(2, $1::uuid[])`, [[rows[0].id]]);
  t.same(one.rows, [{ id: rows[0].id, status: 'pending_review', review_attempts: 0, last_error: null }], 'only the named posting');
  const all = await pool.query(`select id, max_review_attempts from app.requeue_failed_reviews()`);
  t.equal(all.rowCount, 2, 'the rest');
  const keys = (await pool.query(`select key from graphile_worker.jobs`)).rows.map((r) => r.key).sort();
  t.same(keys, rows.map((r) => `review:${r.id}`).sort(), 'each requeued posting has one queue entry');
  t.equal((await pool.query(`select count(*)::int n from app.requeue_failed_reviews()`)).rows[0].n, 0, 'nothing left to requeue');
});

t.test('job_review_status and job_review_stats', async (t) => {
  const { pool } = await createTestDatabase(t);
  const ins = await pool.query(
    `insert into app.jobs (site, job_url, title, company, status) values
       ('s', '1', 'Pending', 'P', 'pending_review'),
       ('s', '2', 'Reviewed yes', 'R1', 'reviewed'),
       ('s', '3', 'Reviewed no', 'R2', 'reviewed'),
       ('s', '4', 'Overridden', 'R3', 'reviewed'),
       ('s', '5', 'Failed', 'E', 'error'),
       ('s', '6', 'Old', 'A', 'archived')
     returning id, title`,
  );
  const id = Object.fromEntries(ins.rows.map((r) => [r.title, r.id]));
  await pool.query(
    `insert into app.job_reviews (job_id, recommend, overall_alignment_score, processing_time_ms, retry_count, override_recommend, override_at, error_message)
     values ($1, true, 7.5, 100, 0, null, null, null),
            ($2, false, 3.0, 300, 1, null, null, null),
            ($3, false, 4.0, 200, 2, true, now(), null),
            ($4, null, null, null, 3, null, null, 'provider down')`,
    [id['Reviewed yes'], id['Reviewed no'], id['Overridden'], id['Failed']],
  );
  // A queue entry that has run out of attempts, and one scheduled for later.
  await pool.query(`update graphile_worker._private_jobs set attempts = max_attempts`);
  await pool.query(`select graphile_worker.add_job('review_job', '{}'::json, run_at := now() + interval '1 hour')`);

  const stats = (await pool.query(`select app.job_review_stats() as s`)).rows[0].s;
  t.same(stats.job_status_counts, { pending_review: 1, in_review: 0, reviewed: 3, error: 1, duplicate: 0, archived: 1 });
  t.same(stats.review_stats, {
    total_reviews: 4,
    recommended: 1,
    not_recommended: 2,
    overridden: 1,
    errored: 1,
    final_recommended: 2,
    avg_processing_time_ms: 200,
    avg_retry_count: 1.5,
    avg_score: 4.83,
  });
  t.same(stats.queue_info, { waiting: 0, running: 0, scheduled: 1, failed: 1, total: 2 });
  t.equal(stats.throughput.reviews_last_hour, 4);

  const status = (await pool.query(`select app.job_review_status($1) as s`, [id['Overridden']])).rows[0].s;
  t.equal(status.status, 'reviewed');
  t.equal(status.review_exists, true);
  t.equal(status.review_data.final_recommend, true);
  t.equal(status.review_data.recommend, false);
  const pending = (await pool.query(`select app.job_review_status($1) as s`, [id['Pending']])).rows[0].s;
  t.equal(pending.review_exists, false);
  t.equal(pending.review_data, null);
  t.equal(pending.queue_entry.attempts, pending.queue_entry.max_attempts, 'the queue entry is reported');
  const missing = (await pool.query(`select app.job_review_status(gen_random_uuid()) as s`)).rows[0].s;
  t.equal(missing, null, 'unknown id gives NULL');
});

t.test('job_review_stats from counters equals counting the tables, through inserts, updates, deletes, compaction and truncate', async (t) => {
  const { pool } = await createTestDatabase(t);
  const truth = async () =>
    (
      await pool.query(`
        select jsonb_build_object(
          'job_status_counts', (select jsonb_object_agg(st, coalesce(n, 0)) from unnest(array['pending_review','in_review','reviewed','error','duplicate','archived']) st
                                  left join (select status, count(*) n from app.jobs group by status) c on c.status = st),
          'review_stats', (select jsonb_build_object('total_reviews', count(*), 'recommended', count(*) filter (where recommend),
              'not_recommended', count(*) filter (where not recommend), 'overridden', count(*) filter (where override_recommend is not null),
              'errored', count(*) filter (where error_message is not null), 'final_recommended', count(*) filter (where final_recommend),
              'avg_processing_time_ms', round(avg(processing_time_ms) filter (where error_message is null), 1),
              'avg_retry_count', round(avg(retry_count), 2), 'avg_score', round(avg(overall_alignment_score), 2)) from app.job_reviews)) as s`)
    ).rows[0].s;
  const stats = async () => {
    const s = (await pool.query(`select app.job_review_stats() as s`)).rows[0].s;
    return { job_status_counts: s.job_status_counts, review_stats: s.review_stats };
  };
  const check = async (when: string) => t.same(await stats(), await truth(), when);
  await check('empty');
  await pool.query(
    `insert into app.jobs (site, job_url, title, company, status)
     select 's', 'u' || i, 'T' || i, 'C' || i, (array['pending_review','reviewed','error','archived'])[1 + i % 4] from generate_series(1, 400) i`,
  );
  await pool.query(
    `insert into app.job_reviews (job_id, recommend, overall_alignment_score, processing_time_ms, retry_count, error_message)
     select id, case when status = 'error' then null else (abs(hashtext(id::text)) % 2) = 0 end,
            case when status = 'error' then null else (abs(hashtext(id::text)) % 1000) / 100.0 end,
            abs(hashtext(id::text)) % 100, abs(hashtext(id::text)) % 3, case when status = 'error' then 'boom' end
       from app.jobs where status in ('reviewed', 'error')`,
  );
  await check('after inserts');
  await pool.query(`update app.jobs set status = 'reviewed' where status = 'pending_review' and abs(hashtext(id::text)) % 2 = 0`);
  await pool.query(`update app.job_reviews set override_recommend = not recommend, override_at = now() where abs(hashtext(job_id::text)) % 5 = 0 and recommend is not null`);
  await pool.query(`delete from app.jobs where status = 'archived' and abs(hashtext(id::text)) % 2 = 0`);
  await check('after updates and deletes');
  await pool.query(`select app_private.compact_stat_deltas()`);
  t.equal((await pool.query(`select count(*)::int n from app_private.review_stat_deltas`)).rows[0].n, 1, 'compaction leaves one row of review figures');
  await check('after compaction');
  await pool.query(`truncate app.jobs cascade`);
  await check('after truncate');
});
