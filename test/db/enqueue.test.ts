// The floor of the design: a status change and the enqueue it causes commit
// in one transaction (DESIGN 4).
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';

interface QueueRow {
  key: string;
  task_identifier: string;
  priority: number;
  run_at: Date;
}

t.test('enqueue triggers', async (t) => {
  const { pool } = await createTestDatabase(t);
  const queue = async (): Promise<QueueRow[]> =>
    (await pool.query(`select key, task_identifier, priority, run_at from graphile_worker.jobs order by key`)).rows;

  t.test('one INSERT of 3 pending postings enqueues exactly 3 review_job jobs keyed review:<id>', async (t) => {
    const { rows } = await pool.query(
      `insert into app.jobs (site, job_url, title, company) values
         ('test', 'https://x/1', 'Engineer A', 'Alpha'),
         ('test', 'https://x/2', 'Engineer B', 'Beta'),
         ('test', 'https://x/3', 'Engineer C', 'Gamma')
       returning id`,
    );
    const entries = await queue();
    t.equal(entries.length, 3);
    t.same(entries.map((e) => e.key).sort(), rows.map((r) => `review:${r.id}`).sort());
    t.ok(entries.every((e) => e.task_identifier === 'review_job'));
  });

  t.test('a rolled-back insert leaves no queue entry', async (t) => {
    const before = (await queue()).length;
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`insert into app.jobs (site, job_url, title, company) values ('test', 'https://x/rb', 'Rolled', 'Back Co')`);
      t.equal((await client.query(`select count(*)::int as n from graphile_worker.jobs`)).rows[0].n, before + 1, 'queued inside the transaction');
      await client.query('rollback');
    } finally {
      client.release();
    }
    t.equal((await queue()).length, before);
  });

  t.test('a repeated (site, job_url) fails with a unique violation and adds no queue entry', async (t) => {
    const before = (await queue()).length;
    await t.rejects(
      pool.query(`insert into app.jobs (site, job_url, title, company) values ('test', 'https://x/1', 'Other title', 'Other Co')`),
      { code: '23505' },
    );
    t.equal((await queue()).length, before);
  });

  t.test('error -> pending_review queues once; twice in a row still one entry', async (t) => {
    const { rows } = await pool.query(
      `insert into app.jobs (site, job_url, title, company, status) values ('test', 'https://x/err', 'Failing', 'Err Co', 'error') returning id`,
    );
    const id = rows[0].id;
    const key = `review:${id}`;
    t.equal((await queue()).filter((e) => e.key === key).length, 0, 'an error posting is not queued');
    await pool.query(`update app.jobs set status = 'pending_review' where id = $1`, [id]);
    t.equal((await queue()).filter((e) => e.key === key).length, 1);
    await pool.query(`update app.jobs set status = 'error' where id = $1`, [id]);
    await pool.query(`update app.jobs set status = 'pending_review' where id = $1`, [id]);
    await pool.query(`update app.jobs set status = 'pending_review' where id = $1`, [id]);
    t.equal((await queue()).filter((e) => e.key === key).length, 1);
  });

  t.test('priority and next_review_at reach the queue entry', async (t) => {
    const { rows } = await pool.query(
      `insert into app.jobs (site, job_url, title, company, priority, next_review_at)
       values ('test', 'https://x/p', 'Urgent', 'Prio Co', -5, now() + interval '1 hour') returning id, next_review_at`,
    );
    const entry = (await queue()).find((e) => e.key === `review:${rows[0].id}`);
    t.ok(entry);
    t.equal(entry?.priority, -5);
    t.equal(entry?.run_at.getTime(), rows[0].next_review_at.getTime());
    await pool.query(`update app.jobs set priority = -10 where id = $1`, [rows[0].id]);
    t.equal((await queue()).find((e) => e.key === `review:${rows[0].id}`)?.priority, -10, 'a new priority updates the entry');
  });

  t.test('a posting matching an original on normalised company + title is a duplicate and not queued', async (t) => {
    const { rows: [orig] } = await pool.query(
      `insert into app.jobs (site, job_url, title, company) values ('a', 'https://a/1', 'Senior Data Engineer', 'Initech, Inc.') returning id`,
    );
    const before = (await queue()).length;
    const { rows: [dup] } = await pool.query(
      `insert into app.jobs (site, job_url, title, company) values ('b', 'https://b/9', 'senior   data engineer', 'INITECH inc') returning id, status, duplicate_of`,
    );
    t.equal(dup.status, 'duplicate');
    t.equal(dup.duplicate_of, orig.id);
    t.equal((await queue()).length, before);
    const { rows: [other] } = await pool.query(
      `insert into app.jobs (site, job_url, title, company) values ('b', 'https://b/10', 'Staff Data Engineer', 'Initech') returning status`,
    );
    t.equal(other.status, 'pending_review', 'another title at the same company is an original');
  });

  t.test('duplicates within one statement are caught too', async (t) => {
    const { rows } = await pool.query(
      `insert into app.jobs (site, job_url, title, company) values
         ('c', 'https://c/1', 'Platform Lead', 'Umbrella'), ('c', 'https://c/2', 'Platform Lead', 'Umbrella Corp')
       returning status`,
    );
    t.same(rows.map((r) => r.status), ['pending_review', 'duplicate']);
  });
});

t.test('CHECK constraints', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { rows: [job] } = await pool.query(
    `insert into app.jobs (site, job_url, title, company) values ('t', 'u', 'T', 'C') returning id`,
  );
  await t.rejects(pool.query(`update app.jobs set status = 'exploded' where id = $1`, [job.id]), { code: '23514', constraint: 'jobs_status_check' });
  await t.rejects(
    pool.query(`insert into app.job_reviews (job_id, recommend, overall_alignment_score) values ($1, true, 10.5)`, [job.id]),
    { code: '23514' },
    'a score above 10',
  );
  await t.rejects(
    pool.query(`insert into app.job_reviews (job_id, recommend, overall_alignment_score) values ($1, true, -0.01)`, [job.id]),
    { code: '23514' },
    'a score below 0',
  );
  await t.rejects(
    pool.query(`insert into app.job_reviews (job_id) values ($1)`, [job.id]),
    { code: '23514', constraint: 'job_reviews_outcome_check' },
    'neither a recommendation nor an error',
  );
  const ok = await pool.query(`insert into app.job_reviews (job_id, recommend, overall_alignment_score) values ($1, false, 0) returning final_recommend`, [job.id]);
  t.equal(ok.rows[0].final_recommend, false, 'a valid negative review is accepted');
  const over = await pool.query(
    `update app.job_reviews set override_recommend = true, override_at = now() where job_id = $1 returning final_recommend`,
    [job.id],
  );
  t.equal(over.rows[0].final_recommend, true, 'the override decides');
});
