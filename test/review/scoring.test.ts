// DESIGN 5's scoring, with exact expected values.
import t from 'tap';
import { defaultBrand } from '../../src/review/brand.ts';
import { reviewOutputSchema, type Posting } from '../../src/review/contracts.ts';
import { DEFAULT_WEIGHTS, type Dimension } from '../../src/review/dimensions.ts';
import { annualisedMaxSalary, ageInDays, preFilter } from '../../src/review/prefilter.ts';
import { createHeuristicProvider } from '../../src/review/providers/heuristic.ts';
import type { ReviewProvider } from '../../src/review/providers/provider.ts';
import { RetryableReviewError } from '../../src/review/providers/provider.ts';
import { reviewPosting } from '../../src/review/review.ts';
import { confidenceFor, overallScore, recommends, toTenPointScale } from '../../src/review/scoring.ts';

const all = (s: number) => ({ north_star: s, trajectory_mastery: s, values_compass: s, lifestyle_alignment: s, compensation_philosophy: s });

t.test('1-5 maps to 2-10', async (t) => {
  t.same([1, 2, 3, 4, 5].map(toTenPointScale), [2, 4, 6, 8, 10]);
});

t.test('weighted mean with the DESIGN weights, 2 decimals', async (t) => {
  t.equal(overallScore(all(1), DEFAULT_WEIGHTS), 2);
  t.equal(overallScore(all(5), DEFAULT_WEIGHTS), 10);
  // comp 5 (10*0.30) + traj 4 (8*0.30) + north 3 (6*0.20) + values 2 (4*0.15) + life 1 (2*0.05) = 3 + 2.4 + 1.2 + 0.6 + 0.1
  t.equal(overallScore({ compensation_philosophy: 5, trajectory_mastery: 4, north_star: 3, values_compass: 2, lifestyle_alignment: 1 }, DEFAULT_WEIGHTS), 7.3);
  // only lifestyle high: 2*0.95 + 10*0.05 = 2.4
  t.equal(overallScore({ ...all(1), lifestyle_alignment: 5 }, DEFAULT_WEIGHTS), 2.4);
  // values 5, rest 2: 4*0.85 + 10*0.15 = 4.9
  t.equal(overallScore({ ...all(2), values_compass: 5 }, DEFAULT_WEIGHTS), 4.9);
  // weights that do not add to 1 are normalised: equal weights -> plain mean of (2,4,6,8,10) = 6
  const equal = { north_star: 1, trajectory_mastery: 1, values_compass: 1, lifestyle_alignment: 1, compensation_philosophy: 1 } as Record<Dimension, number>;
  t.equal(overallScore({ north_star: 1, trajectory_mastery: 2, values_compass: 3, lifestyle_alignment: 4, compensation_philosophy: 5 }, equal), 6);
  // thirds: (2+4+6)/3 = 4 exactly; (2+2+4)/3 = 2.666.. -> 2.67
  const three = { north_star: 1, trajectory_mastery: 1, values_compass: 1, lifestyle_alignment: 0, compensation_philosophy: 0 } as Record<Dimension, number>;
  t.equal(overallScore({ ...all(1), values_compass: 2 }, three), 2.67);
});

t.test('confidence bands and the threshold at their boundaries', async (t) => {
  t.equal(confidenceFor(4.0), 'low');
  t.equal(confidenceFor(4.01), 'medium');
  t.equal(confidenceFor(6.0), 'medium');
  t.equal(confidenceFor(6.01), 'high');
  t.equal(confidenceFor(0), 'low');
  t.equal(confidenceFor(10), 'high');
  t.equal(recommends(5.0, 5.0), true);
  t.equal(recommends(4.99, 5.0), false);
  t.equal(recommends(7, 7.5), false);
});

t.test('pre-filter: annualised salary floor and maximum age; missing data passes', async (t) => {
  const now = new Date('2026-11-29T12:00:00Z');
  const base = { min_amount: null, max_amount: null, interval: null, currency: 'USD', date_posted: null } as unknown as Posting;
  const s = { minSalary: 180_000, maxAgeDays: 21, now };
  t.equal(annualisedMaxSalary({ min_amount: 80, max_amount: 90, interval: 'hourly' }), 187_200);
  t.equal(annualisedMaxSalary({ min_amount: null, max_amount: 3000, interval: 'weekly' }), 156_000);
  t.equal(annualisedMaxSalary({ min_amount: 14_000, max_amount: null, interval: 'monthly' }), 168_000, 'min when max is missing');
  t.equal(annualisedMaxSalary({ min_amount: null, max_amount: 200_000, interval: null }), null, 'no interval: unknown');
  t.same(preFilter({ ...base, max_amount: 90, interval: 'hourly' }, s), { recommend: true, reason: null });
  const low = preFilter({ ...base, max_amount: 85, interval: 'hourly' }, s);
  t.equal(low.recommend, false);
  t.match(low.reason, /176,800 USD a year is below the minimum 180,000/);
  t.equal(preFilter({ ...base, max_amount: 180_000, interval: 'yearly' }, s).recommend, true, 'exactly the floor passes');
  t.equal(ageInDays('2026-11-08', now), 21);
  t.equal(preFilter({ ...base, date_posted: '2026-11-08' }, s).recommend, true, '21 days old passes');
  const old = preFilter({ ...base, date_posted: '2026-11-07' }, s);
  t.equal(old.recommend, false);
  t.match(old.reason, /Posted 22 days ago/);
  t.same(preFilter(base, s), { recommend: true, reason: null }, 'missing salary and date pass');
});

const posting: Posting = {
  id: '11111111-1111-4111-8111-111111111111',
  title: 'Senior Platform Engineer',
  company: 'Acme Data',
  company_url: null,
  location_country: 'US',
  location_state: null,
  location_city: null,
  is_remote: true,
  job_type: 'fulltime',
  interval: 'yearly',
  min_amount: 200_000,
  max_amount: 240_000,
  currency: 'USD',
  description:
    'We build data infrastructure and developer tools used by thousands of teams. You will lead architecture of distributed systems and databases, mentor engineers and own reliability. Remote first, async collaboration, flexible hours. Equity, bonus and healthcare benefits.',
  date_posted: null,
};

t.test('the heuristic reviewer is deterministic and its output passes the schema', async (t) => {
  const provider = createHeuristicProvider();
  const settings = { minSalary: 180_000, maxAgeDays: 21, recommendThreshold: 5 };
  const a = await reviewPosting({ posting, brand: defaultBrand() }, provider, settings);
  const b = await reviewPosting({ posting: { ...posting }, brand: defaultBrand() }, createHeuristicProvider(), settings);
  t.same(a, b);
  t.equal(JSON.stringify(a.output), JSON.stringify(b.output), 'identical JSON');
  t.ok(reviewOutputSchema.safeParse(a.output).success);
  t.equal(a.output.final.recommend, true, 'a well-matched posting is recommended');
  t.match(a.output.final.rationale, /Strongest: .* Weakest: /);
  t.match(a.output.tldr_summary, /^Senior Platform Engineer at Acme Data: /);

  const junior = await reviewPosting(
    { posting: { ...posting, title: 'Junior Support Intern', is_remote: false, max_amount: 185_000, description: 'Crunch time, hustle culture, relocation required and travel.' }, brand: defaultBrand() },
    provider,
    settings,
  );
  t.ok((junior.output.overall_alignment_score ?? 10) < (a.output.overall_alignment_score ?? 0), 'a poorly matched posting scores lower');
});

t.test('a pre-filter rejection makes no provider call', async (t) => {
  let calls = 0;
  const counting: ReviewProvider = {
    name: 'counting',
    model: null,
    async assess(input, ctx) {
      calls++;
      return createHeuristicProvider().assess(input, ctx);
    },
  };
  const r = await reviewPosting({ posting: { ...posting, max_amount: 100_000 }, brand: defaultBrand() }, counting, { minSalary: 180_000, maxAgeDays: 21, recommendThreshold: 5 });
  t.equal(calls, 0);
  t.equal(r.providerCalled, false);
  t.equal(r.output.final.recommend, false);
  t.same(r.output.dimensions, {});
  t.equal(r.output.overall_alignment_score, null);
  t.ok(reviewOutputSchema.safeParse(r.output).success);
});

t.test('provider output that breaks the contract is a retryable error, never a review', async (t) => {
  const broken: ReviewProvider = {
    name: 'broken',
    model: null,
    async assess() {
      return { assessment: { dimensions: { north_star: { score: 9, summary: 'x' } }, tldr_summary: '' }, raw: {} };
    },
  };
  await t.rejects(
    reviewPosting({ posting, brand: defaultBrand() }, broken, { minSalary: 0, maxAgeDays: 21, recommendThreshold: 5 }),
    RetryableReviewError,
  );
});
