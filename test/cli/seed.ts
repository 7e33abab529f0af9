// A seeded database for the CLI tests: postings in every state a command
// shows, made through the same SQL functions the worker uses.
import type { Pool } from '../../src/db/pool.ts';

export interface Seeded {
  reviewed: string;
  failed: string;
  pending: string;
  unqueued: string;
  duplicate: string;
}

export const DIMENSION_SCORES = {
  north_star: { score: 4, summary: 'Developer tools, as wanted' },
  trajectory_mastery: { score: 5, summary: 'A staff title' },
  values_compass: { score: 3, summary: 'Nothing said about culture' },
  lifestyle_alignment: { score: 5, summary: 'Remote' },
  compensation_philosophy: { score: 4, summary: 'Up to 240,000 USD a year' },
};

export async function seed(pool: Pool): Promise<Seeded> {
  const { rows } = await pool.query<{ id: string; title: string }>(
    `insert into app.jobs (site, job_url, title, company, is_remote, "interval", min_amount, max_amount, currency, date_posted)
     values ('seed', 'https://seed/1', 'Staff Engineer', 'Acme', true, 'yearly', 190000, 240000, 'USD', current_date - 2),
            ('seed', 'https://seed/2', 'Data Engineer', 'Globex', false, null, null, null, null, null),
            ('seed', 'https://seed/3', 'Platform Engineer', 'Initech', null, null, null, null, null, null),
            ('seed', 'https://seed/4', 'Site Reliability Engineer', 'Hooli', null, null, null, null, null, null)
     returning id, title`,
  );
  const id = (title: string) => rows.find((r) => r.title === title)!.id;
  const reviewed = id('Staff Engineer');
  const failed = id('Data Engineer');
  const pending = id('Platform Engineer');
  const unqueued = id('Site Reliability Engineer');
  await pool.query(`select * from app_private.claim_reviews('seed-worker', $1::uuid[], '{1,2}'::bigint[])`, [[reviewed, failed]]);
  await pool.query(`select * from app_private.record_reviews('seed-worker', $1::jsonb)`, [
    JSON.stringify([
      {
        job_id: reviewed, attempt: 1, recommend: true, confidence: 'high', rationale: 'Recommended: a strong fit.',
        overall_alignment_score: 8.6, tldr_summary: 'Staff Engineer at Acme, remote', dimensions: DIMENSION_SCORES,
        pre_filter: { recommend: true, reason: null }, personas: [], tradeoffs: ['On-call'], actions: ['Ask about equity'],
        sources: ['posting', 'career_brand'], crew_output: {}, reviewer: 'heuristic@1', variant: null, model_used: null, processing_time_ms: 12,
      },
    ]),
  ]);
  await pool.query(`select * from app_private.record_review_failures('seed-worker', $1::jsonb, 3, 60)`, [
    JSON.stringify([{ job_id: failed, attempt: 1, error: 'provider exploded', retryable: false }]),
  ]);
  // The worker would have finished those queue entries; and one pending posting lost its entry.
  await pool.query(`delete from graphile_worker._private_jobs where key = any($1::text[])`, [[`review:${reviewed}`, `review:${failed}`, `review:${unqueued}`]]);
  const dup = await pool.query<{ id: string }>(`insert into app.jobs (site, job_url, title, company) values ('seed', 'https://seed/5', 'Staff Engineer', 'ACME Inc.') returning id`);
  return { reviewed, failed, pending, unqueued, duplicate: dup.rows[0].id };
}
