// Reviewer variants: stable assignment from the posting id, shares honoured,
// and the per-variant stats and agreement that people's overrides give.
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { chooseVariant, variantPoint } from '../../src/review/variants.ts';
import { startReviewWorker } from '../../src/worker/runner.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { quietLog, testConfig, waitFor } from '../helpers/worker.ts';
import { cliEnv, runCli } from '../helpers/cli.ts';

const variants = [
  { name: 'control', share: 0.7 },
  { name: 'llm', share: 0.2 },
  { name: 'strict', share: 0.1 },
];

t.test('assignment is stable for an id and follows the shares over 10,000 ids', async (t) => {
  const id = '3b241101-e2bb-4255-8caf-4136c566a962';
  t.equal(chooseVariant(id, variants).name, chooseVariant(id, variants).name);
  t.equal(chooseVariant(id.toUpperCase(), variants).name, chooseVariant(id, variants).name, 'case does not matter');
  t.equal(variantPoint(id), variantPoint(id));
  const counts: Record<string, number> = { control: 0, llm: 0, strict: 0 };
  for (let i = 0; i < 10_000; i++) counts[chooseVariant(randomUUID(), variants).name]++;
  // 3 standard deviations of a binomial(10000, p) is at most 150 (p = 0.5): 2% is safe.
  for (const v of variants) {
    const share = counts[v.name] / 10_000;
    t.ok(Math.abs(share - v.share) < 0.02, `${v.name}: ${share} within 0.02 of ${v.share}`);
  }
});

t.test('configured variants are stored on the review, with their own threshold', async (t) => {
  const { pool } = await createTestDatabase(t);
  const config = testConfig({
    JOB_REVIEW_VARIANTS: JSON.stringify([
      { name: 'lenient', share: 0.5, provider: 'heuristic', threshold: 0 },
      { name: 'impossible', share: 0.5, provider: 'heuristic', threshold: 10, weights: { compensation_philosophy: 1 } },
    ]),
    JOB_REVIEW_MIN_SALARY: '0',
  });
  const worker = await startReviewWorker({ pool, config, log: quietLog(), concurrency: 4 });
  t.teardown(() => worker.stop());
  await pool.query(`insert into app.jobs (site, job_url, title, company) select 'v', 'https://v/' || i, 'Engineer ' || i, 'V' || i from generate_series(1, 40) i`);
  await waitFor('40 reviewed', async () => (await pool.query(`select count(*)::int n from app.job_reviews`)).rows[0].n === 40);
  const { rows } = await pool.query(`select r.job_id, r.variant, r.recommend, r.overall_alignment_score from app.job_reviews r`);
  for (const r of rows) {
    t.equal(r.variant, chooseVariant(r.job_id, [{ name: 'lenient', share: 0.5 }, { name: 'impossible', share: 0.5 }]).name, 'the stored variant is the one the id chooses');
    if (r.variant === 'lenient') t.equal(r.recommend, true, 'threshold 0 recommends everything');
    else t.equal(r.recommend, r.overall_alignment_score >= 10, 'threshold 10');
  }
  t.ok(rows.some((r) => r.variant === 'lenient') && rows.some((r) => r.variant === 'impossible'), 'both variants used');
});

t.test('variant stats and review quality match hand-computed values', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  // variant, recommend, score, latency ms, error, override, override day
  const seed: [string, boolean | null, number | null, number | null, string | null, boolean | null, string | null][] = [
    ['a', true, 8, 100, null, true, '2026-11-01'], // agreed
    ['a', true, 6, 200, null, false, '2026-11-01'], // disagreed
    ['a', false, 3, 300, null, false, '2026-11-02'], // agreed
    ['a', false, 4, 400, null, null, null],
    ['a', null, null, null, 'boom', null, null], // error
    ['b', true, 9, 50, null, true, '2026-11-02'], // agreed
    ['b', false, 2, 150, null, true, '2026-11-02'], // disagreed
    ['b', true, 7, 100, null, null, null],
  ];
  for (const [i, [variant, recommend, score, latency, error, override, day]] of seed.entries()) {
    const { rows: [job] } = await pool.query(`insert into app.jobs (site, job_url, title, company, status) values ('q', $1, 'T' || $1, 'C' || $1, 'reviewed') returning id`, [String(i)]);
    await pool.query(
      `insert into app.job_reviews (job_id, variant, recommend, overall_alignment_score, processing_time_ms, error_message, override_recommend, override_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz)`,
      [job.id, variant, recommend, score, latency, error, override, day ? `${day}T12:00:00Z` : null],
    );
  }
  const stats = (await pool.query(`select * from app.variant_stats()`)).rows;
  t.same(stats, [
    // a: 4 reviews, 2 recommended, mean score (8+6+3+4)/4 = 5.25, latency 250, 1 error, 3 overridden, changed 1 of 4
    { variant: 'a', reviews: 4, recommend_rate: 0.5, mean_score: 5.25, mean_latency_ms: 250, errors: 1, overridden: 3, override_rate: 0.25 },
    // b: 3 reviews, 2 recommended, mean (9+2+7)/3 = 6, latency 100, 0 errors, 2 overridden, changed 1 of 3
    { variant: 'b', reviews: 3, recommend_rate: 0.6667, mean_score: 6, mean_latency_ms: 100, errors: 0, overridden: 2, override_rate: 0.3333 },
  ]);
  const quality = (await pool.query(`select variant, period, decided, agreed, agreement_rate from app.review_quality('day')`)).rows;
  const row = (variant: string | null, day: string | null) =>
    quality.find((q) => q.variant === variant && (day === null ? q.period === null : q.period?.toISOString().startsWith(day)));
  t.match(row(null, null), { decided: 5, agreed: 3, agreement_rate: 0.6 }, 'overall: 3 of 5 decisions agreed');
  t.match(row('a', null), { decided: 3, agreed: 2, agreement_rate: 0.6667 });
  t.match(row('b', null), { decided: 2, agreed: 1, agreement_rate: 0.5 });
  t.match(row(null, '2026-11-01'), { decided: 2, agreed: 1, agreement_rate: 0.5 });
  t.match(row(null, '2026-11-02'), { decided: 3, agreed: 2, agreement_rate: 0.6667 });
  t.match(row('b', '2026-11-02'), { decided: 2, agreed: 1 });
  await t.rejects(pool.query(`select * from app.review_quality('fortnight')`), { message: /bucket must be/ });

  // The same figures through `job-review stats --quality`.
  const json = await runCli(['stats', '--quality', '--json'], { env: cliEnv({ DATABASE_URL: url }) });
  t.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  t.same(out.quality.variants, stats);
  t.match(out.quality.agreement.find((r: { variant: string | null; period: string | null }) => r.variant === null && r.period === null), { decided: 5, agreed: 3, agreement_rate: 0.6 });
  const human = await runCli(['stats', '--quality'], { env: cliEnv({ DATABASE_URL: url }) });
  t.match(human.stdout, /Overall: 3 of 5 decisions agreed \(60\.0%\)/);
  t.match(human.stdout, /\ba\s+\|?\s*4\b/, 'variant a with its 4 reviews');
});

t.test('JOB_REVIEW_VARIANTS is validated', async (t) => {
  t.throws(() => testConfig({ JOB_REVIEW_VARIANTS: '[{"name":"a","share":0.5,"provider":"heuristic"}]' }), { message: /shares must add up to 1/ });
  t.throws(() => testConfig({ JOB_REVIEW_VARIANTS: 'nope' }), { message: /^Invalid JOB_REVIEW_VARIANTS="nope": must be a JSON array/ });
  t.throws(() => testConfig({ JOB_REVIEW_VARIANTS: '[{"name":"a","share":1,"provider":"magic"}]' }), { message: /variant 0.provider/ });
});
