// `job-review test <job_id>` reviews a posting in its own process and prints
// what a worker stores for it: the same review, field by field (timings
// aside). `--enqueue` puts it at the head of the queue instead.
import t from 'tap';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { installReviewWriteAudit, waitFor } from '../helpers/worker.ts';
import { spawnWorker, stopWorker } from '../worker/processes.ts';

const db = await createTestDatabase(t, { poolSize: 8 });
const env = cliEnv({ DATABASE_URL: db.url });
const cli = (...args: string[]) => runCli(args, { env });

// A stored brand for two dimensions (the rest default): both sides must read it.
await db.pool.query(`insert into app.career_brand (dimension, content, weight) values
  ('north_star', 'Developer tools and data infrastructure; open source.', 0.25),
  ('lifestyle_alignment', 'Remote first, async, no relocation.', 0.1)`);
const postings = fixturePostings(12, 'tc');
const ids = await insertPostings(db.pool, postings);

const printed = new Map<string, any>();

t.test('test prints the full review and stores nothing', async (t) => {
  const results = await Promise.all(ids.map((id) => cli('test', id, '--json')));
  for (const [i, r] of results.entries()) {
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    t.equal(out.job_id, ids[i]);
    t.equal(out.stored, false);
    printed.set(ids[i], out);
  }
  const kinds = [...printed.values()].map((o) => o.reviewer);
  t.ok(kinds.includes('pre_filter') && kinds.includes('heuristic@1'), 'the fixtures cover pre-filter rejections and full reviews');
  t.equal((await db.pool.query(`select count(*)::int n from app.job_reviews`)).rows[0].n, 0, 'no review stored');
  t.same((await db.pool.query(`select distinct status from app.jobs`)).rows, [{ status: 'pending_review' }], 'no status changed');

  const full = ids.find((id) => printed.get(id).reviewer === 'heuristic@1')!;
  const o = printed.get(full);
  const human = await cli('test', full);
  t.equal(human.code, 0);
  const field = (label: string) => human.stdout.match(new RegExp(`^${label}:\\s+(.*)$`, 'm'))?.[1];
  t.equal(field('Job'), full);
  t.equal(field('Recommendation'), o.review.final.recommend ? 'yes' : 'no');
  t.equal(field('Confidence'), o.review.final.confidence);
  t.equal(field('Score'), `${o.review.overall_alignment_score.toFixed(2)}/10`);
  t.equal(field('Rationale'), o.review.final.rationale);
  t.equal(field('TL;DR'), o.review.tldr_summary);
  t.equal(field('Pre-filter'), 'passed');
  t.equal(field('Reviewer'), 'heuristic@1');
  t.match(human.stdout, new RegExp(`^North Star\\s+${o.review.dimensions.north_star.score}/5\\s+`, 'm'));
  t.match(human.stdout, /^Nothing was stored/m);
});

t.test('a worker stores exactly what test printed', async (t) => {
  const worker = await spawnWorker(db.url);
  t.teardown(() => stopWorker(worker));
  await waitFor('all reviewed', async () => (await db.pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === ids.length);
  await stopWorker(worker);
  const { rows } = await db.pool.query(`select * from app.job_reviews`);
  t.equal(rows.length, ids.length);
  for (const stored of rows) {
    const p = printed.get(stored.job_id);
    const label = `posting ${stored.job_id} (${p.reviewer})`;
    t.same(
      {
        recommend: stored.recommend,
        confidence: stored.confidence,
        rationale: stored.rationale,
        overall_alignment_score: stored.overall_alignment_score,
        tldr_summary: stored.tldr_summary,
        dimensions: stored.dimensions,
        pre_filter: stored.pre_filter,
        personas: stored.personas,
        tradeoffs: stored.tradeoffs,
        actions: stored.actions,
        sources: stored.sources,
        crew_output: stored.crew_output,
        reviewer: stored.reviewer,
        model_used: stored.model_used,
        variant: stored.variant,
        error_message: stored.error_message,
      },
      {
        recommend: p.review.final.recommend,
        confidence: p.review.final.confidence,
        rationale: p.review.final.rationale,
        overall_alignment_score: p.review.overall_alignment_score,
        tldr_summary: p.review.tldr_summary,
        dimensions: p.review.dimensions,
        pre_filter: p.review.pre_filter,
        personas: p.review.personas,
        tradeoffs: p.review.tradeoffs,
        actions: p.review.actions,
        sources: p.review.sources,
        crew_output: p.crew_output,
        reviewer: p.reviewer,
        model_used: p.model_used,
        variant: p.variant,
        error_message: null,
      },
      label,
    );
  }
});

t.test('--enqueue queues a reviewed posting at top priority; a worker takes it before the rest', async (t) => {
  const target = ids[0];
  const r = await cli('test', target, '--enqueue', '--json');
  t.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.equal(out.job_id, target);
  t.equal(out.queued, true);
  t.equal(out.status, 'pending_review');
  t.equal(out.priority, -32768);
  t.equal(out.queue_entry.priority, -32768);
  t.equal(out.queue_entry.locked_by, null);
  const { rows } = await db.pool.query(`select status, priority, review_attempts, next_review_at from app.jobs where id = $1`, [target]);
  t.same(rows[0], { status: 'pending_review', priority: -32768, review_attempts: 0, next_review_at: null });

  // 20 more postings queued after it at the default priority: a worker with
  // one slot reviews the enqueued one first.
  const more = await insertPostings(db.pool, fixturePostings(20, 'later'));
  const again = await cli('test', more[5], '--enqueue');
  t.equal(again.code, 0);
  t.match(again.stdout, new RegExp(`^Queued ${more[5]} \\(.+ @ .+\\) at top priority \\(-32768\\)\\.$`, 'm'));
  await installReviewWriteAudit(db.pool);
  const worker = await spawnWorker(db.url, {}, ['--concurrency', '1']);
  t.teardown(() => stopWorker(worker));
  await waitFor('all reviewed', async () => (await db.pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === ids.length + more.length);
  const { rows: order } = await db.pool.query(`select job_id from public.review_writes order by at`);
  t.same(order.slice(0, 2).map((r) => r.job_id).sort(), [target, more[5]].sort(), 'the two enqueued postings are reviewed before the 19 others');
});

t.test('refusals: unknown id, a duplicate, a malformed id', async (t) => {
  const unknown = '00000000-0000-4000-8000-000000000000';
  for (const args of [['test', unknown], ['test', unknown, '--enqueue']]) {
    const r = await cli(...args);
    t.equal(r.code, 1);
    t.equal(r.stderr, `job-review: Job ${unknown} not found\n`);
  }
  const { rows } = await db.pool.query(`insert into app.jobs (site, job_url, title, company) select 'x', 'https://dup/1', title, company from app.jobs where id = $1 returning id, status`, [ids[1]]);
  t.equal(rows[0].status, 'duplicate');
  const dup = await cli('test', rows[0].id, '--enqueue');
  t.equal(dup.code, 1);
  t.equal(dup.stderr, `job-review: Job ${rows[0].id} is duplicate: only pending, reviewed or failed postings can be queued\n`);
  const bad = await cli('test', '1234');
  t.equal(bad.code, 2);
  t.match(bad.stderr, /job_id must be a UUID \(got "1234"\)/);
});
