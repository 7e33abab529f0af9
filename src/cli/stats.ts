import type { CommandModule } from 'yargs';
import { commandContext, type GlobalArgs } from './context.ts';
import { withDatabase } from './database.ts';
import { fields, table, time } from './format.ts';
import { runCommand } from './run-command.ts';

export interface Stats {
  job_status_counts: Record<string, number>;
  review_stats: Record<string, number | null>;
  queue_info: Record<string, number>;
  throughput: { reviews_last_hour: number; reviews_per_minute: number };
  generated_at: string;
}

export function renderStats(s: Stats): string {
  const order = ['pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived'];
  const statuses = Object.entries(s.job_status_counts).sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const total = statuses.reduce((sum, [, n]) => sum + n, 0);
  const r = s.review_stats;
  return [
    'Postings',
    table(['Status', 'Count'], [...statuses.map(([k, n]) => [k, n]), ['total', total]]),
    '',
    'Reviews',
    fields([
      ['Total', r.total_reviews],
      ['Recommended', r.recommended],
      ['Not recommended', r.not_recommended],
      ['Errored', r.errored],
      ['Overridden', r.overridden],
      ['Final recommended', r.final_recommended],
      ['Average score', r.avg_score],
      ['Average time (ms)', r.avg_processing_time_ms],
      ['Average retries', r.avg_retry_count],
    ]),
    '',
    'Queue (review_job)',
    fields([
      ['Waiting', s.queue_info.waiting],
      ['Running', s.queue_info.running],
      ['Scheduled', s.queue_info.scheduled],
      ['Failed', s.queue_info.failed],
      ['Total', s.queue_info.total],
    ]),
    '',
    'Throughput',
    fields([
      ['Reviews in the last hour', s.throughput.reviews_last_hour],
      ['Reviews per minute', s.throughput.reviews_per_minute],
    ]),
    '',
    `As of ${time(s.generated_at)}`,
  ].join('\n');
}

export const statsCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'stats',
  describe: 'Status counts, review figures, queue figures and throughput over the last hour',
  builder: (y) =>
    y
      .example('$0 stats', 'the whole picture as tables')
      .example('$0 stats --json | jq .queue_info.waiting', 'one figure, for scripts'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const stats = await withDatabase(ctx, async (pool) => (await pool.query<{ s: Stats }>('select app.job_review_stats() as s')).rows[0].s);
    ctx.out(renderStats(stats), stats);
  }),
};
