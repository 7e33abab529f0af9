import type { CommandModule } from 'yargs';
import { commandContext, type GlobalArgs } from './context.ts';
import { checkInt, withDatabase } from './database.ts';
import { fields } from './format.ts';
import { runCommand } from './run-command.ts';

interface QueueArgs extends GlobalArgs {
  limit: number;
  retries?: number;
}

export const queueCommand: CommandModule<GlobalArgs, QueueArgs> = {
  command: 'queue',
  describe: 'Queue pending postings that have no queue entry (inserted while the trigger was off, restored from a backup); queued postings are never queued twice',
  builder: (y) =>
    y
      .option('limit', { type: 'number', default: 50, describe: 'Queue at most this many, highest priority first' })
      .option('retries', { type: 'number', describe: 'Attempts allowed for the postings queued now (default: JOB_REVIEW_MAX_RETRIES)' })
      .check((a) => {
        checkInt('--limit', a.limit, 1, 1_000_000);
        checkInt('--retries', a.retries, 1, 100);
        return true;
      })
      .example('$0 queue', 'queue up to 50 pending postings that have no queue entry')
      .example('$0 queue --limit 1000 --retries 5 --json', 'up to 1000, five attempts each; JSON on stdout'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const result = await withDatabase(ctx, async (pool) => {
      const { rows } = await pool.query<{ queued_count: number; already_queued: number; total_pending: number }>(
        'select * from app.queue_pending_reviews($1, $2)',
        [args.limit, args.retries ?? null],
      );
      return rows[0];
    });
    ctx.out(
      fields([
        ['Queued', result.queued_count],
        ['Already queued', result.already_queued],
        ['Total pending', result.total_pending],
      ]),
      result,
    );
  }),
};
