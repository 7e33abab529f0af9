import type { CommandModule } from 'yargs';
import { DIMENSION_TITLES, DIMENSIONS } from '../review/dimensions.ts';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { checkUuid, withDatabase } from './database.ts';
import { fields, relative, table, time, yesNo } from './format.ts';
import { runCommand } from './run-command.ts';

interface StatusArgs extends GlobalArgs {
  job_id: string;
}

interface QueueEntry {
  id: number;
  run_at: string;
  attempts: number;
  max_attempts: number;
  priority: number;
  locked_at: string | null;
  locked_by: string | null;
  last_error: string | null;
}

export interface JobStatus {
  job_id: string;
  title: string;
  company: string;
  site: string;
  job_url: string;
  status: string;
  priority: number;
  review_attempts: number;
  max_review_attempts: number | null;
  last_error: string | null;
  next_review_at: string | null;
  duplicate_of: string | null;
  updated_at: string;
  queue_entry: QueueEntry | null;
  review_exists: boolean;
  review_data: Record<string, any> | null;
}

function queueText(q: QueueEntry | null): string {
  if (!q) return 'none';
  const state = q.locked_at ? `running (locked by ${q.locked_by})` : q.attempts >= q.max_attempts ? 'failed' : new Date(q.run_at).getTime() > Date.now() ? 'scheduled' : 'waiting';
  return `#${q.id} ${state}, run at ${time(q.run_at)}, priority ${q.priority}`;
}

export function renderStatus(s: JobStatus, defaultMaxAttempts: number): string {
  const r = s.review_data;
  const lines = [
    fields([
      ['Job', s.job_id],
      ['Title', s.title],
      ['Company', s.company],
      ['Site', s.site],
      ['URL', s.job_url],
      ['Status', s.status + (s.duplicate_of ? ` (of ${s.duplicate_of})` : '')],
      ['Priority', s.priority],
      ['Attempts', `${s.review_attempts} of ${s.max_review_attempts ?? defaultMaxAttempts}`],
      ['Next attempt', s.next_review_at ? `${time(s.next_review_at)} (${relative(s.next_review_at)})` : null],
      ['Last error', s.last_error],
      ['Queue entry', queueText(s.queue_entry)],
    ]),
    '',
  ];
  if (!r) {
    lines.push('Review: none yet');
    return lines.join('\n');
  }
  const overridden = r.override_recommend !== null && r.override_recommend !== undefined;
  const preFilter = r.pre_filter as { recommend: boolean; reason: string | null } | null;
  lines.push(
    'Review',
    fields([
      ['Recommendation', r.error_message ? 'none (the review failed)' : yesNo(r.recommend)],
      ['Final decision', yesNo(r.final_recommend) + (overridden ? ` (overridden by ${r.override_by}${r.override_comment ? `: ${r.override_comment}` : ''})` : '')],
      ['Confidence', r.confidence],
      ['Score', r.overall_alignment_score === null || r.overall_alignment_score === undefined ? null : `${Number(r.overall_alignment_score).toFixed(2)}/10`],
      ['Rationale', r.rationale],
      ['TL;DR', r.tldr_summary],
      ['Pre-filter', preFilter ? (preFilter.recommend ? 'passed' : `rejected: ${preFilter.reason}`) : null],
      ['Reviewer', [r.reviewer, r.model_used, r.variant].filter(Boolean).join(', ')],
      ['Reviewed at', time(r.reviewed_at)],
      ['Error', r.error_message],
    ]),
  );
  const dims = (r.dimensions ?? {}) as Record<string, { score: number; summary: string }>;
  if (Object.keys(dims).length > 0) {
    lines.push(
      '',
      table(
        ['Dimension', 'Score', 'Summary'],
        DIMENSIONS.filter((d) => dims[d]).map((d) => [DIMENSION_TITLES[d], `${dims[d].score}/5`, dims[d].summary]),
      ),
    );
  }
  return lines.join('\n');
}

export const statusCommand: CommandModule<GlobalArgs, StatusArgs> = {
  command: 'status <job_id>',
  describe: 'A posting (title, company, status, attempts, next attempt, queue entry) and its review (recommendation, final decision, confidence, score, rationale, TL;DR, dimension scores, error)',
  builder: (y) =>
    y
      .positional('job_id', { type: 'string', describe: 'The posting id (a UUID)', demandOption: true })
      .check((a) => {
        checkUuid('job_id', a.job_id);
        return true;
      })
      .example('$0 status 1f0c6a52-8c1e-4d7e-9a51-2f5d0c4b7e11', 'the posting and its review')
      .example('$0 status 1f0c6a52-8c1e-4d7e-9a51-2f5d0c4b7e11 --json | jq .review_data.recommend', 'one field, for scripts'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const status = await withDatabase(ctx, async (pool) => {
      const { rows } = await pool.query<{ s: JobStatus | null }>('select app.job_review_status($1) as s', [args.job_id]);
      return rows[0].s;
    });
    if (!status) throw new CliError(`Job ${args.job_id} not found`);
    ctx.out(renderStatus(status, ctx.config.maxRetries), status);
  }),
};
