// `job-review backfill`: the pre-filter with today's settings over reviewed,
// not-overridden postings. A dry run lists what would change and changes
// nothing; --apply sends exactly the listed postings back for review.
import t from 'tap';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { insertPostings, type FixturePosting } from '../fixtures/postings.ts';
import { waitFor } from '../helpers/worker.ts';
import { spawnWorker, stopWorker } from '../worker/processes.ts';

const db = await createTestDatabase(t, { poolSize: 8 });
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const posting = (n: number, title: string, interval: string | null, min: number | null, max: number | null, age: number | null): FixturePosting => ({
  site: 'bf', job_url: `https://bf/${n}`, title, company: `Company ${n}`, is_remote: true, interval, min_amount: min, max_amount: max,
  currency: interval ? 'USD' : null, description: 'Developer tools, remote first.', date_posted: age === null ? null : daysAgo(age), location_city: null,
});
const [p1, p2, p3, p4, p5, p6, p7] = await insertPostings(db.pool, [
  posting(1, 'Staff Engineer', 'yearly', 190_000, 240_000, 2), // passes then and now
  posting(2, 'Backend Engineer', 'yearly', 90_000, 120_000, 2), // rejected then, passes at 100k
  posting(3, 'Frontend Engineer', 'yearly', 90_000, 120_000, 2), // same, but a person overrode it
  posting(4, 'Principal Engineer', 'yearly', 200_000, 250_000, 10), // passed then, too old at 5 days
  posting(5, 'Platform Engineer', null, null, null, null), // no salary, no date: passes always
  posting(6, 'Data Engineer', 'hourly', 40, 55, 2), // 114,400 a year: rejected then, passes at 100k
  posting(7, 'Support Engineer', 'hourly', 25, 30, 2), // 62,400 a year: rejected then and now
]);
const now = { JOB_REVIEW_MIN_SALARY: '100000', JOB_REVIEW_MAX_AGE_DAYS: '5' };
const env = cliEnv({ DATABASE_URL: db.url, ...now });

async function reviewAll(workerEnv: Record<string, string>) {
  const worker = await spawnWorker(db.url, workerEnv);
  try {
    await waitFor('all reviewed', async () => (await db.pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 7);
  } finally {
    await stopWorker(worker);
  }
}

async function snapshot(): Promise<Map<string, string>> {
  const { rows } = await db.pool.query(
    `select j.id, to_jsonb(j)::text as job, to_jsonb(r)::text as review,
            (select to_jsonb(q) - 'updated_at' from graphile_worker._private_jobs q where q.key = 'review:' || j.id)::text as entry
       from app.jobs j left join app.job_reviews r on r.job_id = j.id`,
  );
  return new Map(rows.map((r) => [r.id, `${r.job}|${r.review}|${r.entry}`]));
}

await reviewAll({});
{
  const client = await db.pool.connect();
  await client.query(`select set_config('jwt.claims.sub', 'tester', false)`);
  await client.query(`select app.override_review($1, true, 'I want it anyway')`, [p3]);
  client.release();
}
const expected = [
  { job_id: p2, change: 'now_passes' },
  { job_id: p4, change: 'now_rejected' },
  { job_id: p6, change: 'now_passes' },
].sort((a, b) => a.job_id.localeCompare(b.job_id));

t.test('a dry run lists the flips and changes nothing', async (t) => {
  const before = await snapshot();
  const r = await runCli(['backfill', '--json'], { env });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.apply, false);
  t.same(out.settings, { min_salary: 100000, max_age_days: 5 });
  t.equal(out.checked, 6, 'reviewed and not overridden: all but one');
  t.same(out.changes.map((c: { job_id: string; change: string }) => ({ job_id: c.job_id, change: c.change })), expected);
  const byId = Object.fromEntries(out.changes.map((c: { job_id: string }) => [c.job_id, c]));
  t.same(byId[p2].before, { recommend: false, reason: 'Maximum salary 120,000 USD a year is below the minimum 180,000 USD' });
  t.same(byId[p2].after, { recommend: true, reason: null });
  t.same(byId[p4].before, { recommend: true, reason: null });
  t.same(byId[p4].after, { recommend: false, reason: 'Posted 10 days ago, older than the 5-day limit' });
  t.equal(byId[p4].title, 'Principal Engineer');
  t.same(out.applied, []);
  const human = await runCli(['backfill'], { env });
  t.equal(human.code, 0);
  t.match(human.stdout, new RegExp(`^${p2}\\s+Backend Engineer\\s+Company 2\\s+now passes\\s+was: Maximum salary 120,000 USD a year is below`, 'm'));
  t.match(human.stdout, new RegExp(`^${p4}\\s+Principal Engineer\\s+Company 4\\s+now rejected\\s+Posted 10 days ago`, 'm'));
  t.match(human.stdout, /^Checked 6 reviewed posting\(s\): 3 would be sent back for review\. Nothing changed \(dry run\); run with --apply to do it\.$/m);
  t.same(await snapshot(), before, 'postings, reviews and queue entries untouched');
});

t.test('--apply sends exactly the listed postings back for review', async (t) => {
  const before = await snapshot();
  const r = await runCli(['backfill', '--apply', '--json'], { env });
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.apply, true);
  t.same([...out.applied].sort(), expected.map((e) => e.job_id));
  t.same(out.skipped, []);
  const after = await snapshot();
  for (const id of [p1, p3, p5, p7]) t.equal(after.get(id), before.get(id), `${id} untouched`);
  const { rows } = await db.pool.query(`select id, status, review_attempts from app.jobs where id = any($1::uuid[]) order by id`, [expected.map((e) => e.job_id)]);
  t.same(rows, expected.map((e) => ({ id: e.job_id, status: 'pending_review', review_attempts: 0 })));
  const { rows: q } = await db.pool.query(`select key from graphile_worker._private_jobs where key like 'review:%' order by key`);
  t.same(q.map((x) => x.key), expected.map((e) => `review:${e.job_id}`), 'queued by the trigger, nothing else');

  // The workers review them again with the same settings: the pre-filter now agrees.
  await reviewAll(now);
  const { rows: reviews } = await db.pool.query(`select job_id, reviewer, pre_filter from app.job_reviews where job_id = any($1::uuid[])`, [[p2, p4]]);
  const byJob = Object.fromEntries(reviews.map((x) => [x.job_id, x]));
  t.equal(byJob[p2].reviewer, 'heuristic@1', 'p2 passes the pre-filter now and gets a full review');
  t.same(byJob[p4].pre_filter, { recommend: false, reason: 'Posted 10 days ago, older than the 5-day limit' });
  const again = await runCli(['backfill'], { env });
  t.match(again.stdout, /^Checked 6 reviewed posting\(s\): the pre-filter agrees with every review; nothing to do\.$/m);
});
