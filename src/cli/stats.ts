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

export interface VariantStats {
  variant: string;
  reviews: number;
  recommend_rate: number | null;
  mean_score: number | null;
  mean_latency_ms: number | null;
  errors: number;
  overridden: number;
  override_rate: number | null;
}

export interface QualityRow {
  variant: string | null;
  period: Date | null;
  decided: number;
  agreed: number;
  agreement_rate: number | null;
}

export interface Quality {
  variants: VariantStats[];
  agreement: QualityRow[];
}

const pct = (v: number | null) => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

/** Per-variant figures and how often people agreed with the reviewer (app.variant_stats, app.review_quality). */
export function renderQuality(q: Quality): string {
  const overall = q.agreement.find((r) => r.variant === null && r.period === null);
  return [
    'Variants',
    table(
      ['Variant', 'Reviews', 'Recommend rate', 'Mean score', 'Mean ms', 'Errors', 'Decided by people', 'Changed by people'],
      q.variants.map((v) => [v.variant, v.reviews, pct(v.recommend_rate), v.mean_score ?? '-', v.mean_latency_ms ?? '-', v.errors, v.overridden, pct(v.override_rate)]),
    ),
    '',
    'Agreement between the reviewer and people',
    overall ? `Overall: ${overall.agreed} of ${overall.decided} decisions agreed (${pct(overall.agreement_rate)})` : 'Overall: nobody has decided on a review yet',
    table(
      ['Variant', 'Day', 'Decided', 'Agreed', 'Rate'],
      q.agreement
        .filter((r) => r.variant !== null || r.period !== null)
        .map((r) => [r.variant ?? 'all', r.period ? r.period.toISOString().slice(0, 10) : 'all', r.decided, r.agreed, pct(r.agreement_rate)]),
    ),
  ].join('\n');
}

interface StatsArgs extends GlobalArgs {
  quality?: boolean;
}

export const statsCommand: CommandModule<GlobalArgs, StatsArgs> = {
  command: 'stats',
  describe: 'Status counts, review figures, queue figures and throughput over the last hour; --quality adds per-variant figures and reviewer/human agreement',
  builder: (y) =>
    y
      .option('quality', { type: 'boolean', describe: 'Also per-variant stats and the agreement between the reviewer and people, overall, per variant and per day' })
      .example('$0 stats', 'the whole picture as tables')
      .example('$0 stats --quality', 'how each reviewer variant does, and how often people agreed with it')
      .example('$0 stats --json | jq .queue_info.waiting', 'one figure, for scripts'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const { stats, quality } = await withDatabase(ctx, async (pool) => {
      const stats = (await pool.query<{ s: Stats }>('select app.job_review_stats() as s')).rows[0].s;
      if (!args.quality) return { stats, quality: undefined };
      const variants = (await pool.query<VariantStats>('select * from app.variant_stats()')).rows;
      const agreement = (await pool.query<QualityRow>(`select * from app.review_quality('day')`)).rows;
      return { stats, quality: { variants, agreement } };
    });
    ctx.out(quality ? `${renderStats(stats)}\n\n${renderQuality(quality)}` : renderStats(stats), quality ? { ...stats, quality } : stats);
  }),
};
