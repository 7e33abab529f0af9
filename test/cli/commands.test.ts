// The operator commands against a seeded database, through the real binary:
// human and --json output field by field, exit codes, usage errors, an
// unreachable database, and --help with examples on every command.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { DIMENSION_SCORES, seed } from './seed.ts';

const db = await createTestDatabase(t);
const ids = await seed(db.pool);
const env = cliEnv({ DATABASE_URL: db.url });
const cli = (...args: string[]) => runCli(args, { env });
const json = async (...args: string[]) => {
  const r = await cli(...args, '--json');
  if (r.code !== 0) throw new Error(`job-review ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
/** The value printed after "label:" in human output. */
const field = (out: string, label: string) => out.match(new RegExp(`^${label.replace(/[()/.]/g, '\\$&')}:\\s+(.*)$`, 'm'))?.[1];

t.test('status of a reviewed posting: the posting and its review', async (t) => {
  const r = await cli('status', ids.reviewed);
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(field(r.stdout, 'Job'), ids.reviewed);
  t.equal(field(r.stdout, 'Title'), 'Staff Engineer');
  t.equal(field(r.stdout, 'Company'), 'Acme');
  t.equal(field(r.stdout, 'Status'), 'reviewed');
  t.equal(field(r.stdout, 'Attempts'), '1 of 3');
  t.equal(field(r.stdout, 'Next attempt'), '-');
  t.equal(field(r.stdout, 'Recommendation'), 'yes');
  t.equal(field(r.stdout, 'Final decision'), 'yes');
  t.equal(field(r.stdout, 'Confidence'), 'high');
  t.equal(field(r.stdout, 'Score'), '8.60/10');
  t.equal(field(r.stdout, 'Rationale'), 'Recommended: a strong fit.');
  t.equal(field(r.stdout, 'TL;DR'), 'Staff Engineer at Acme, remote');
  t.equal(field(r.stdout, 'Pre-filter'), 'passed');
  t.equal(field(r.stdout, 'Error'), '-');
  t.match(r.stdout, /^North Star\s+4\/5\s+Developer tools, as wanted$/m);
  t.match(r.stdout, /^Trajectory & Mastery\s+5\/5\s+A staff title$/m);
  t.match(r.stdout, /^Compensation Philosophy\s+4\/5\s+Up to 240,000 USD a year$/m);

  const s = await json('status', ids.reviewed);
  t.equal(s.job_id, ids.reviewed);
  t.equal(s.title, 'Staff Engineer');
  t.equal(s.company, 'Acme');
  t.equal(s.status, 'reviewed');
  t.equal(s.review_attempts, 1);
  t.equal(s.queue_entry, null);
  t.equal(s.review_exists, true);
  t.equal(s.review_data.recommend, true);
  t.equal(s.review_data.final_recommend, true);
  t.equal(s.review_data.confidence, 'high');
  t.equal(s.review_data.overall_alignment_score, 8.6);
  t.equal(s.review_data.rationale, 'Recommended: a strong fit.');
  t.equal(s.review_data.tldr_summary, 'Staff Engineer at Acme, remote');
  t.same(s.review_data.dimensions, DIMENSION_SCORES);
  t.equal(s.review_data.error_message, null);
});

t.test('status of a failed posting: the error, and no recommendation', async (t) => {
  const r = await cli('status', ids.failed);
  t.equal(r.code, 0);
  t.equal(field(r.stdout, 'Status'), 'error');
  t.equal(field(r.stdout, 'Last error'), 'provider exploded');
  t.equal(field(r.stdout, 'Recommendation'), 'none (the review failed)');
  t.equal(field(r.stdout, 'Final decision'), '-');
  t.equal(field(r.stdout, 'Error'), 'provider exploded');
  const s = await json('status', ids.failed);
  t.equal(s.status, 'error');
  t.equal(s.last_error, 'provider exploded');
  t.equal(s.review_data.recommend, null);
  t.equal(s.review_data.error_message, 'provider exploded');
});

t.test('status of a pending posting: its queue entry, no review yet', async (t) => {
  const r = await cli('status', ids.pending);
  t.equal(field(r.stdout, 'Status'), 'pending_review');
  t.match(field(r.stdout, 'Queue entry'), /^#\d+ waiting, run at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ, priority 0$/);
  t.match(r.stdout, /^Review: none yet$/m);
  const s = await json('status', ids.pending);
  t.equal(s.review_exists, false);
  t.equal(s.review_data, null);
  t.equal(s.queue_entry.attempts, 0);
  t.equal(s.queue_entry.locked_by, null);
  const dup = await json('status', ids.duplicate);
  t.equal(dup.status, 'duplicate');
  t.equal(dup.duplicate_of, ids.reviewed);
});

t.test('exit codes: unknown id 1, malformed UUID 2 naming the argument, unknown flag 2', async (t) => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  const r = await cli('status', unknown);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(r.stderr, `job-review: Job ${unknown} not found\n`);
  const bad = await cli('status', 'not-a-uuid');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /^job-review: job_id must be a UUID \(got "not-a-uuid"\)$/m);
  t.notMatch(bad.stderr, /^\s+at /m, 'no stack trace');
  const badJob = await cli('requeue', '--job', '123');
  t.equal(badJob.code, 2);
  t.match(badJob.stderr, /--job must be a UUID \(got "123"\)/);
  const flag = await cli('stats', '--bogus');
  t.equal(flag.code, 2);
  t.match(flag.stderr, /^job-review: Unknown argument: bogus$/m);
  const range = await cli('queue', '--limit', '0');
  t.equal(range.code, 2);
  t.match(range.stderr, /--limit must be a whole number from 1 to 1000000 \(got 0\)/);
  t.notMatch(range.stderr, /^\s+at /m, 'no stack trace');
  const state = await cli('inspect', '--state', 'sleeping');
  t.equal(state.code, 2);
  t.match(state.stderr, /Invalid values/);
  const none = await cli();
  t.equal(none.code, 2);
});

t.test('stats: status counts, review figures, queue figures, throughput', async (t) => {
  const s = await json('stats');
  t.same(s.job_status_counts, { pending_review: 2, in_review: 0, reviewed: 1, error: 1, duplicate: 1, archived: 0 });
  t.equal(s.review_stats.total_reviews, 2);
  t.equal(s.review_stats.recommended, 1);
  t.equal(s.review_stats.not_recommended, 0);
  t.equal(s.review_stats.errored, 1);
  t.equal(s.review_stats.overridden, 0);
  t.equal(s.review_stats.avg_score, 8.6);
  t.same(s.queue_info, { waiting: 1, running: 0, scheduled: 0, failed: 0, total: 1 });
  t.equal(s.throughput.reviews_last_hour, 2);
  const r = await cli('stats');
  t.equal(r.code, 0);
  t.match(r.stdout, /^pending_review\s+2$/m);
  t.match(r.stdout, /^reviewed\s+1$/m);
  t.match(r.stdout, /^error\s+1$/m);
  t.match(r.stdout, /^duplicate\s+1$/m);
  t.match(r.stdout, /^total\s+5$/m);
  t.equal(field(r.stdout, 'Recommended'), '1');
  t.equal(field(r.stdout, 'Errored'), '1');
  t.equal(field(r.stdout, 'Average score'), '8.6');
  t.equal(field(r.stdout, 'Waiting'), '1');
  t.equal(field(r.stdout, 'Reviews in the last hour'), '2');
});

t.test('inspect: the queue entries with state, run time, attempts and posting', async (t) => {
  const r = await json('inspect');
  t.equal(r.total, 1);
  t.equal(r.entries.length, 1);
  const e = r.entries[0];
  t.equal(e.task, 'review_job');
  t.equal(e.key, `review:${ids.pending}`);
  t.equal(e.job_id, ids.pending);
  t.equal(e.title, 'Platform Engineer');
  t.equal(e.company, 'Initech');
  t.equal(e.job_status, 'pending_review');
  t.equal(e.state, 'waiting');
  t.equal(e.attempts, 0);
  t.equal(e.max_attempts, 10);
  t.equal(e.locked_by, null);
  const human = await cli('inspect');
  t.match(human.stdout, /^Id\s+Task\s+State\s+Priority\s+Run at\s+Attempts\s+Locked by\s+Posting\s+Last error$/m);
  t.match(human.stdout, new RegExp(`review_job\\s+waiting\\s+0\\s+\\S+ \\S+Z\\s+0/10\\s+-\\s+${ids.pending} Platform Engineer @ Initech`));
  t.match(human.stdout, /^Showing 1 of 1 queue entries\.$/m);
  const running = await cli('inspect', '--state', 'running');
  t.equal(running.stdout, 'No running queue entries.\n');
  t.same((await json('inspect', '--state', 'running')).entries, []);
});

t.test('queue: queues the pending posting that has no entry, never one twice', async (t) => {
  const first = await json('queue', '--retries', '5');
  t.same(first, { queued_count: 1, already_queued: 1, total_pending: 2 });
  const { rows } = await db.pool.query(`select max_review_attempts from app.jobs where id = $1`, [ids.unqueued]);
  t.equal(rows[0].max_review_attempts, 5, '--retries is applied to the postings queued');
  const again = await cli('queue');
  t.equal(again.code, 0);
  t.equal(field(again.stdout, 'Queued'), '0');
  t.equal(field(again.stdout, 'Already queued'), '2');
  t.equal(field(again.stdout, 'Total pending'), '2');
  const { rows: q } = await db.pool.query(`select key from graphile_worker._private_jobs order by key`);
  t.same(q.map((r) => r.key).sort(), [`review:${ids.pending}`, `review:${ids.unqueued}`].sort());
});

t.test('requeue: a named posting that did not fail is refused (exit 1); all failed ones go back', async (t) => {
  const refused = await cli('requeue', '--job', ids.reviewed);
  t.equal(refused.code, 1);
  t.match(refused.stdout, /^Requeued 0 posting\(s\)\.$/m);
  t.match(refused.stdout, new RegExp(`^Not requeued: ${ids.reviewed}: status is reviewed, not error$`, 'm'));
  const r = await json('requeue', '--retries', '4');
  t.equal(r.requeued_count, 1);
  t.equal(r.requeued[0].id, ids.failed);
  t.equal(r.requeued[0].title, 'Data Engineer');
  t.equal(r.requeued[0].status, 'pending_review');
  t.equal(r.requeued[0].max_review_attempts, 4);
  t.same(r.not_requeued, []);
  const { rows } = await db.pool.query(`select status, review_attempts, last_error from app.jobs where id = $1`, [ids.failed]);
  t.same(rows[0], { status: 'pending_review', review_attempts: 0, last_error: null });
  const { rows: q } = await db.pool.query(`select 1 from graphile_worker._private_jobs where key = $1`, [`review:${ids.failed}`]);
  t.equal(q.length, 1, 'queued in the same transaction');
  const none = await cli('requeue');
  t.equal(none.code, 0);
  t.equal(none.stdout, 'Requeued 0 posting(s).\n');
});

t.test('create-job: a posting from flags, queued at once; the same URL twice fails', async (t) => {
  const r = await cli('create-job', '--title', 'Principal Engineer', '--company', 'Wonka', '--url', 'https://jobs.example/42', '--remote', '--salary', '$200K-$240K', '--city', 'Austin', '--date-posted', '2026-11-20');
  t.equal(r.code, 0, r.stderr);
  const id = field(r.stdout, 'Created')!;
  t.match(id, /^[0-9a-f-]{36}$/);
  t.equal(field(r.stdout, 'Status'), 'pending_review');
  t.equal(field(r.stdout, 'Salary'), '200000-240000 USD yearly');
  t.match(field(r.stdout, 'Queued'), /^yes, run at .*, priority 0$/);
  const { rows } = await db.pool.query(`select site, job_url, title, company, is_remote, "interval", min_amount, max_amount, currency, location_city, date_posted::text, status from app.jobs where id = $1`, [id]);
  t.same(rows[0], { site: 'manual', job_url: 'https://jobs.example/42', title: 'Principal Engineer', company: 'Wonka', is_remote: true, interval: 'yearly', min_amount: 200000, max_amount: 240000, currency: 'USD', location_city: 'Austin', date_posted: '2026-11-20', status: 'pending_review' });
  const j = await json('create-job', '--title', 'Junior Developer', '--company', 'Wonka', '--min-amount', '50', '--max-amount', '60', '--interval', 'hourly', '--currency', 'usd', '--priority', '-5');
  t.equal(j.title, 'Junior Developer');
  t.equal(j.interval, 'hourly');
  t.equal(j.min_amount, 50);
  t.equal(j.currency, 'USD');
  t.equal(j.priority, -5);
  t.equal(j.queue_entry.priority, -5);
  t.match(j.job_url, /^https:\/\/example\.invalid\/manual\//);
  const twice = await cli('create-job', '--title', 'Other', '--company', 'Other', '--url', 'https://jobs.example/42');
  t.equal(twice.code, 1);
  t.match(twice.stderr, /^job-review: a posting with site manual and job_url https:\/\/jobs\.example\/42 already exists$/m);
  const usage = await cli('create-job', '--title', 'X', '--company', 'Y', '--min-amount', '-1');
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--min-amount must be a number of at least 0/);
  const missing = await cli('create-job', '--title', 'X');
  t.equal(missing.code, 2);
  t.match(missing.stderr, /Missing required argument: company/);
});

t.test('brand import and brand show', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jr-brand-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'brand.md');
  writeFileSync(file, '# My brand\n\n## North Star\nDatabases people rely on.\n\n## Compensation Philosophy (weight 0.4)\nAt least 250,000 USD.\n\n## Hobbies\nClimbing.\n');
  const r = await cli('brand', 'import', file);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /brand\.md:9: unknown heading "Hobbies" \(not imported\)/);
  t.match(r.stdout, /^north_star\s+0\.2\s+25$/m);
  t.match(r.stdout, /^compensation_philosophy\s+0\.4\s+21$/m);
  t.match(r.stdout, /^Imported 2 dimension\(s\) from .*brand\.md\.$/m);
  t.match(r.stdout, /^Not in the file \(unchanged\): trajectory_mastery, values_compass, lifestyle_alignment$/m);
  const { rows } = await db.pool.query(`select dimension, content, weight from app.career_brand order by dimension`);
  t.same(rows, [
    { dimension: 'compensation_philosophy', content: 'At least 250,000 USD.', weight: 0.4 },
    { dimension: 'north_star', content: 'Databases people rely on.', weight: 0.2 },
  ]);
  const show = await json('brand', 'show');
  const byDim = Object.fromEntries(show.dimensions.map((d: { dimension: string }) => [d.dimension, d]));
  t.same(byDim.north_star, { dimension: 'north_star', title: 'North Star', weight: 0.2, source: 'stored', content: 'Databases people rely on.' });
  t.equal(byDim.compensation_philosophy.weight, 0.4);
  t.equal(byDim.values_compass.source, 'default');
  const human = await cli('brand', 'show');
  t.match(human.stdout, /^North Star\s+0\.2\s+stored\s+Databases people rely on\.$/m);
  t.match(human.stdout, /^Values Compass\s+0\.15\s+default\s+/m);
  const bad = join(dir, 'bad.md');
  writeFileSync(bad, '# Hello\nnothing here\n');
  const refused = await cli('brand', 'import', bad);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /no heading names a dimension/);
  const missingFile = await cli('brand', 'import', join(dir, 'nope.md'));
  t.equal(missingFile.code, 1);
  t.match(missingFile.stderr, /Cannot read .*nope\.md: no such file/);
});

t.test('an unreachable database: one line naming the host and the cause, exit 1', async (t) => {
  for (const [url, cause] of [
    ['postgres://postgres@127.0.0.1:1/job_review', 'connection refused'],
    ['postgres://postgres@no-such-host.invalid:5432/job_review', 'host not found'],
  ] as const) {
    for (const args of [['status', '00000000-0000-4000-8000-000000000000'], ['stats'], ['queue'], ['import', 'package.json']]) {
      const r = await runCli(args, { env: cliEnv({ DATABASE_URL: url }) });
      t.equal(r.code, 1, `${args[0]} against ${url}`);
      const host = new URL(url).host;
      t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      t.match(r.stderr, new RegExp(`^job-review: Cannot connect to PostgreSQL at ${host.replace(/\./g, '\\.')}/job_review: ${cause}`));
      t.equal(r.stdout, '');
    }
  }
});

t.test('--help with examples on every command', async (t) => {
  const commands = [['queue'], ['status'], ['stats'], ['requeue'], ['test'], ['inspect'], ['import'], ['create-job'], ['brand'], ['brand', 'import'], ['brand', 'show'], ['backfill'], ['worker'], ['migrate'], ['start']];
  for (const c of commands) {
    const r = await cli(...c, '--help');
    t.equal(r.code, 0, `${c.join(' ')} --help`);
    t.match(r.stdout, /Examples:\n.*job-review /, `${c.join(' ')} has examples`);
  }
  const top = await cli('--help');
  for (const c of ['queue', 'status <job_id>', 'stats', 'requeue', 'test <job_id>', 'inspect', 'import <file>', 'create-job', 'brand <command>', 'backfill', 'completion']) {
    t.match(top.stdout, new RegExp(`job-review ${c.replace(/[<>]/g, '\\$&')}\\s`), `top-level help lists ${c}`);
  }
});
