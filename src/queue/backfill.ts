// The backfill: run the pre-filter with today's settings over the reviewed
// postings nobody has overridden and find those whose verdict flips; applying
// it sends exactly those back for review (app_private.rereview_reviewed), so
// reviews are still written in one place, the worker. `job-review backfill`
// and the nightly crontab task both call this.
import type { Pool } from '../db/pool.ts';
import { postingSchema } from '../review/contracts.ts';
import { preFilter, type PreFilterSettings } from '../review/prefilter.ts';

export interface Verdict {
  recommend: boolean;
  reason: string | null;
}

export interface BackfillChange {
  job_id: string;
  title: string;
  company: string;
  change: 'now_rejected' | 'now_passes';
  before: Verdict;
  after: Verdict;
}

const PAGE = 1000;

export async function findBackfillChanges(pool: Pool, settings: PreFilterSettings): Promise<{ checked: number; changes: BackfillChange[] }> {
  const changes: BackfillChange[] = [];
  let checked = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  // Keyset pages: any number of reviews in bounded memory.
  for (;;) {
    const { rows } = await pool.query(
      `select j.*, r.pre_filter as review_pre_filter, r.reviewer as review_reviewer
         from app.jobs j join app.job_reviews r on r.job_id = j.id
        where j.status = 'reviewed' and r.override_recommend is null and r.error_message is null and j.id > $1
        order by j.id limit $2`,
      [after, PAGE],
    );
    for (const row of rows) {
      checked++;
      const stored = row.review_pre_filter as Verdict | null;
      const before: Verdict = stored ?? { recommend: row.review_reviewer !== 'pre_filter', reason: null };
      const now = preFilter(postingSchema.parse(row), settings);
      if (now.recommend !== before.recommend) {
        changes.push({ job_id: row.id, title: row.title, company: row.company, change: now.recommend ? 'now_passes' : 'now_rejected', before, after: now });
      }
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  return { checked, changes };
}

/** Sends the postings back for review; returns those that were (a posting changed meanwhile is left alone). */
export async function applyBackfill(pool: Pool, jobIds: string[]): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const { rows } = await pool.query<{ id: string }>('select id from app_private.rereview_reviewed($1::uuid[])', [jobIds]);
  return rows.map((r) => r.id);
}
