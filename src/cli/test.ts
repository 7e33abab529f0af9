// `job-review test <job_id>`: reviews one posting now, in this process, with
// the code the worker runs (reviewPosting, the stored career brand, the
// configured provider and the posting's reviewer variant) and prints the
// whole result. Nothing is stored: recording a review (claim, attempt,
// fencing) is the worker's job. --enqueue queues the posting at top priority
// for the workers instead.
import type { CommandModule } from 'yargs';
import type { Pool } from '../db/pool.ts';
import { loadBrand } from '../review/brand.ts';
import { postingSchema, type ReviewOutput } from '../review/contracts.ts';
import { DIMENSION_TITLES, DIMENSIONS } from '../review/dimensions.ts';
import { RateLimitedError } from '../review/providers/provider.ts';
import { createVariants, reviewWithVariant } from '../review/variants.ts';
import { CliError, commandContext, type CommandContext, type GlobalArgs } from './context.ts';
import { checkUuid, withDatabase } from './database.ts';
import { fields, table, yesNo } from './format.ts';
import { runCommand } from './run-command.ts';

interface TestArgs extends GlobalArgs {
  job_id: string;
  enqueue?: boolean;
}

export interface TestResult {
  job_id: string;
  title: string;
  company: string;
  status: string;
  stored: false;
  reviewer: string;
  model_used: string | null;
  /** The reviewer variant the worker would use for this posting (null when no variants are configured). */
  variant: string | null;
  provider_called: boolean;
  processing_time_ms: number;
  review: ReviewOutput;
  /** What the worker stores as crew_output. */
  crew_output: unknown;
}

async function reviewNow(ctx: CommandContext, pool: Pool, jobId: string): Promise<TestResult> {
  const { rows } = await pool.query('select * from app.jobs where id = $1', [jobId]);
  if (rows.length === 0) throw new CliError(`Job ${jobId} not found`);
  const row = rows[0];
  const posting = postingSchema.parse(row);
  const variants = createVariants(ctx.config, ctx.log);
  const { brand } = await loadBrand(pool);
  const started = performance.now();
  let result;
  let variant;
  try {
    ({ result, variant } = await reviewWithVariant({ posting, brand }, variants, { minSalary: ctx.config.minSalary, maxAgeDays: ctx.config.maxAgeDays }));
  } catch (error) {
    if (error instanceof RateLimitedError) throw new CliError(`The reviewer is rate-limited: try again in ${Math.ceil(error.retryAfterMs / 1000)}s`);
    throw new CliError(`The review failed: ${(error as Error).message}`);
  }
  return {
    job_id: posting.id,
    title: posting.title,
    company: posting.company,
    status: row.status,
    stored: false,
    reviewer: result.reviewer,
    model_used: result.model,
    variant: ctx.config.variants ? variant.name : null,
    provider_called: result.providerCalled,
    processing_time_ms: Math.round(performance.now() - started),
    review: result.output,
    crew_output: result.raw,
  };
}

export function renderTest(r: TestResult): string {
  const o = r.review;
  const lines = [
    fields([
      ['Job', r.job_id],
      ['Posting', `${r.title} @ ${r.company} (status ${r.status})`],
      ['Recommendation', yesNo(o.final.recommend)],
      ['Confidence', o.final.confidence],
      ['Score', o.overall_alignment_score === null ? null : `${o.overall_alignment_score.toFixed(2)}/10`],
      ['Rationale', o.final.rationale],
      ['TL;DR', o.tldr_summary],
      ['Pre-filter', o.pre_filter.recommend ? 'passed' : `rejected: ${o.pre_filter.reason}`],
      ['Reviewer', [r.reviewer, r.model_used, r.variant].filter(Boolean).join(', ')],
      ['Time', `${r.processing_time_ms} ms`],
    ]),
  ];
  const dims = o.dimensions as Record<string, { score: number; summary: string }>;
  if (Object.keys(dims).length > 0) {
    lines.push('', table(['Dimension', 'Score', 'Summary'], DIMENSIONS.filter((d) => dims[d]).map((d) => [DIMENSION_TITLES[d], `${dims[d].score}/5`, dims[d].summary])));
  }
  if (o.personas.length) lines.push('', 'Personas', ...o.personas.map((p) => `  ${p.id}: ${yesNo(p.recommend)} - ${p.reason}`));
  if (o.tradeoffs.length) lines.push('', 'Tradeoffs', ...o.tradeoffs.map((t) => `  - ${t}`));
  if (o.actions.length) lines.push('', 'Actions', ...o.actions.map((a) => `  - ${a}`));
  if (o.sources.length) lines.push('', `Sources: ${o.sources.join(', ')}`);
  lines.push('', 'Nothing was stored: a worker stores its own review of this posting when it reviews it.');
  return lines.join('\n');
}

export const testCommand: CommandModule<GlobalArgs, TestArgs> = {
  command: 'test <job_id>',
  describe: 'Review a posting now, in this process, exactly as a worker would, and print the full result (nothing stored); --enqueue queues it at top priority instead',
  builder: (y) =>
    y
      .positional('job_id', { type: 'string', describe: 'The posting id (a UUID)', demandOption: true })
      .option('enqueue', { type: 'boolean', describe: 'Queue it at top priority for the workers instead (a reviewed or failed posting is reviewed again)' })
      .check((a) => {
        checkUuid('job_id', a.job_id);
        return true;
      })
      .example('$0 test 1f0c6a52-8c1e-4d7e-9a51-2f5d0c4b7e11', 'review it now and print the review')
      .example('$0 test 1f0c6a52-8c1e-4d7e-9a51-2f5d0c4b7e11 --enqueue', 'let the next free worker review it, before anything else'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    if (args.enqueue) {
      const queued = await withDatabase(ctx, async (pool) => {
        try {
          const { rows } = await pool.query<{ id: string; status: string; priority: number; title: string; company: string }>(
            'select j.id, j.status, j.priority, j.title, j.company from app_private.review_first($1) j',
            [args.job_id],
          );
          // A second statement: the entry the trigger just added or moved is not in the first one's snapshot.
          const entry = await pool.query('select app_private.review_queue_entry($1) as e', [args.job_id]);
          return { ...rows[0], entry: entry.rows[0].e as unknown };
        } catch (error) {
          const e = error as { code?: string; message: string };
          if (e.code === 'P0002' || e.code === '55000') throw new CliError(e.message);
          throw error;
        }
      });
      ctx.out(`Queued ${queued.id} (${queued.title} @ ${queued.company}) at top priority (${queued.priority}).`, {
        job_id: queued.id,
        queued: true,
        status: queued.status,
        priority: queued.priority,
        queue_entry: queued.entry,
      });
      return;
    }
    const result = await withDatabase(ctx, (pool) => reviewNow(ctx, pool, args.job_id));
    ctx.out(renderTest(result), result);
  }),
};
