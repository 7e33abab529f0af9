// `job-review backfill [--apply]`: runs the pre-filter with today's settings
// (JOB_REVIEW_MIN_SALARY, JOB_REVIEW_MAX_AGE_DAYS) over the reviewed postings
// nobody has overridden, and lists those whose verdict flips: rejected now
// but not then, or the other way round. A dry run changes nothing. --apply
// sends exactly the listed postings back for review
// (app_private.rereview_reviewed): the workers review them again, pre-filter
// first, and replace their reviews.
import type { CommandModule } from 'yargs';
import { applyBackfill, findBackfillChanges } from '../queue/backfill.ts';
import { commandContext, type GlobalArgs } from './context.ts';
import { withDatabase } from './database.ts';
import { clip, table } from './format.ts';
import { runCommand } from './run-command.ts';

interface BackfillArgs extends GlobalArgs {
  apply?: boolean;
}

export const backfillCommand: CommandModule<GlobalArgs, BackfillArgs> = {
  command: 'backfill',
  describe: "Re-run the pre-filter with today's settings over reviewed, not-overridden postings; a dry run lists what would change, --apply sends exactly those back for review",
  builder: (y) =>
    y
      .option('apply', { type: 'boolean', describe: 'Send the listed postings back for review (default: a dry run that changes nothing)' })
      .example('JOB_REVIEW_MIN_SALARY=150000 $0 backfill', 'which reviews a lower salary floor would change')
      .example('$0 backfill --apply', 'requeue them; the workers review them again'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const settings = { minSalary: ctx.config.minSalary, maxAgeDays: ctx.config.maxAgeDays, now: new Date() };
    const { checked, changes, applied } = await withDatabase(ctx, async (pool) => {
      const { checked, changes } = await findBackfillChanges(pool, settings);
      const applied = args.apply ? await applyBackfill(pool, changes.map((c) => c.job_id)) : [];
      return { checked, changes, applied };
    });
    const appliedSet = new Set(applied);
    const skipped = args.apply ? changes.filter((c) => !appliedSet.has(c.job_id)).map((c) => c.job_id) : [];
    const listing = changes.length
      ? table(
          ['Job', 'Title', 'Company', 'Change', 'Reason'],
          changes.map((c) => [c.job_id, clip(c.title, 30), clip(c.company, 20), c.change === 'now_passes' ? 'now passes' : 'now rejected', clip(c.change === 'now_passes' ? `was: ${c.before.reason ?? 'rejected'}` : c.after.reason, 70)]),
        )
      : null;
    const verdict = !changes.length
      ? `Checked ${checked} reviewed posting(s): the pre-filter agrees with every review; nothing to do.`
      : args.apply
        ? `Checked ${checked} reviewed posting(s): sent ${applied.length} back for review${skipped.length ? ` (${skipped.length} changed meanwhile and were left alone: ${skipped.join(', ')})` : ''}.`
        : `Checked ${checked} reviewed posting(s): ${changes.length} would be sent back for review. Nothing changed (dry run); run with --apply to do it.`;
    ctx.out([listing, verdict].filter(Boolean).join('\n'), {
      apply: Boolean(args.apply),
      settings: { min_salary: settings.minSalary, max_age_days: settings.maxAgeDays },
      checked,
      changes,
      applied,
      skipped,
    });
  }),
};
