// Scheduled work, run by graphile-worker's crontab in whichever worker
// process gets there first (graphile-worker makes each run happen once).
import { applyBackfill, findBackfillChanges } from '../queue/backfill.ts';
import type { WorkerServices } from './active.ts';

type Deps = Pick<WorkerServices, 'pool' | 'config' | 'log'>;

/** The crontab the worker runs; empty when JOB_REVIEW_CRON=false. */
export function crontab(config: Deps['config']): string {
  if (!config.schedule.enabled) return '';
  return [
    `${config.schedule.sweep} sweep_pending ?max=1&id=sweep_pending`,
    `${config.schedule.retention} apply_retention ?max=1&id=apply_retention`,
    `${config.schedule.backfill} backfill_prefilter ?max=1&id=backfill_prefilter`,
  ].join('\n');
}

export async function sweepPending({ pool, log }: Deps): Promise<number> {
  let total = 0;
  // In rounds, so a large backlog is queued without one huge transaction.
  for (;;) {
    const { rows } = await pool.query<{ queued_count: number }>('select * from app.queue_pending_reviews(1000)');
    total += rows[0].queued_count;
    if (rows[0].queued_count < 1000) break;
  }
  if (total > 0) log.info({ queued: total }, 'sweep queued pending postings that had no queue entry');
  return total;
}

export async function applyRetention({ pool, config, log }: Deps): Promise<{ archived: number; deliveries_pruned: number }> {
  const { rows } = await pool.query<{ archived: number; deliveries_pruned: number }>('select * from app_private.apply_retention($1, $2)', [
    config.schedule.retentionDays,
    config.schedule.deliveryLogDays,
  ]);
  if (rows[0].archived || rows[0].deliveries_pruned) log.info(rows[0], 'retention applied');
  return rows[0];
}

export type NightlyBackfillResult =
  | { ran: false; reason: 'first run: settings recorded' | 'settings unchanged' }
  | { ran: true; checked: number; requeued: number; from: { minSalary: number; maxAgeDays: number } };

/**
 * When JOB_REVIEW_MIN_SALARY or JOB_REVIEW_MAX_AGE_DAYS differ from the
 * settings of the last run, sends the reviews whose pre-filter verdict flips
 * back for review (the same backfill as `job-review backfill --apply`).
 */
export async function nightlyBackfill({ pool, config, log }: Deps): Promise<NightlyBackfillResult> {
  const { rows } = await pool.query<{ min_salary: number; max_age_days: number }>('select min_salary, max_age_days from app_private.prefilter_state');
  const record = () =>
    pool.query(
      `insert into app_private.prefilter_state (min_salary, max_age_days) values ($1, $2)
       on conflict (singleton) do update set min_salary = excluded.min_salary, max_age_days = excluded.max_age_days, applied_at = now()`,
      [config.minSalary, config.maxAgeDays],
    );
  const last = rows[0];
  if (!last) {
    await record();
    return { ran: false, reason: 'first run: settings recorded' };
  }
  if (Number(last.min_salary) === config.minSalary && last.max_age_days === config.maxAgeDays) return { ran: false, reason: 'settings unchanged' };
  const { checked, changes } = await findBackfillChanges(pool, { minSalary: config.minSalary, maxAgeDays: config.maxAgeDays });
  const requeued = await applyBackfill(pool, changes.map((c) => c.job_id));
  await record();
  log.info({ checked, requeued: requeued.length }, 'pre-filter settings changed: backfill sent flipped reviews back for review');
  return { ran: true, checked, requeued: requeued.length, from: { minSalary: Number(last.min_salary), maxAgeDays: last.max_age_days } };
}
