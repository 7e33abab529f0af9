// Scheduled work, run by graphile-worker's crontab in whichever worker
// process gets there first (graphile-worker makes each run happen once).
import type { WorkerServices } from './active.ts';

type Deps = Pick<WorkerServices, 'pool' | 'config' | 'log'>;

/** The crontab the worker runs; empty when JOB_REVIEW_CRON=false. */
export function crontab(config: Deps['config']): string {
  if (!config.schedule.enabled) return '';
  return [
    `${config.schedule.sweep} sweep_pending ?max=1&id=sweep_pending`,
    `${config.schedule.retention} apply_retention ?max=1&id=apply_retention`,
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
