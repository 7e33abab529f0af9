import type { CommandModule } from 'yargs';
import { commandContext, type GlobalArgs } from './context.ts';
import { checkInt, checkUuid, withDatabase } from './database.ts';
import { table } from './format.ts';
import { runCommand } from './run-command.ts';

interface RequeueArgs extends GlobalArgs {
  retries?: number;
  job?: string[];
}

interface Requeued {
  id: string;
  title: string;
  company: string;
  status: string;
  max_review_attempts: number | null;
}

export const requeueCommand: CommandModule<GlobalArgs, RequeueArgs> = {
  command: 'requeue',
  describe: 'Put failed postings (status error) back to pending and queue them, all or the ones named; attempts start again from zero',
  builder: (y) =>
    y
      .option('retries', { type: 'number', describe: 'Attempts allowed from now on (default: what each posting had)' })
      .option('job', { type: 'string', array: true, describe: 'Only this posting (repeat for more)' })
      .check((a) => {
        checkInt('--retries', a.retries, 1, 100);
        checkUuid('--job', a.job);
        return true;
      })
      .example('$0 requeue', 'every failed posting')
      .example('$0 requeue --job 1f0c6a52-8c1e-4d7e-9a51-2f5d0c4b7e11 --retries 5', 'one posting, with five attempts'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const named = args.job ? [...new Set(args.job.map((j) => j.toLowerCase()))] : null;
    const { requeued, notRequeued } = await withDatabase(ctx, async (pool) => {
      const { rows } = await pool.query<Requeued>(
        'select id, title, company, status, max_review_attempts from app.requeue_failed_reviews($1, $2::uuid[])',
        [args.retries ?? null, named],
      );
      const done = new Set(rows.map((r) => r.id));
      const missing = (named ?? []).filter((id) => !done.has(id));
      const { rows: why } = missing.length
        ? await pool.query<{ id: string; status: string }>('select id, status from app.jobs where id = any($1::uuid[])', [missing])
        : { rows: [] };
      const statusOf = new Map(why.map((r) => [r.id, r.status]));
      return {
        requeued: rows,
        notRequeued: missing.map((id) => ({ job_id: id, reason: statusOf.has(id) ? `status is ${statusOf.get(id)}, not error` : 'not found' })),
      };
    });
    const human = [
      requeued.length ? table(['Job', 'Title', 'Company', 'Status'], requeued.map((r) => [r.id, r.title, r.company, r.status])) : null,
      `Requeued ${requeued.length} posting(s).`,
      ...notRequeued.map((n) => `Not requeued: ${n.job_id}: ${n.reason}`),
    ]
      .filter((l) => l !== null)
      .join('\n');
    ctx.out(human, { requeued_count: requeued.length, requeued, not_requeued: notRequeued });
    if (notRequeued.length > 0) process.exitCode = 1;
  }),
};

