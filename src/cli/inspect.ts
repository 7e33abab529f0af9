import type { CommandModule } from 'yargs';
import { commandContext, type GlobalArgs } from './context.ts';
import { checkInt, withDatabase } from './database.ts';
import { clip, table, time } from './format.ts';
import { runCommand } from './run-command.ts';

export const QUEUE_STATES = ['waiting', 'running', 'scheduled', 'failed'] as const;

interface InspectArgs extends GlobalArgs {
  state?: string;
  limit: number;
}

interface Entry {
  id: number;
  task: string;
  key: string | null;
  job_id: string | null;
  title: string | null;
  company: string | null;
  job_status: string | null;
  state: string;
  priority: number;
  run_at: string;
  attempts: number;
  max_attempts: number;
  locked_at: string | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: string;
  total: number;
}

export const inspectCommand: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect',
  describe: "The queue entries themselves (graphile-worker's jobs, in the order they run): state, run time, attempts, lock holder, last error",
  builder: (y) =>
    y
      .option('state', { type: 'string', choices: QUEUE_STATES as unknown as string[], describe: 'Only entries in this state' })
      .option('limit', { type: 'number', default: 20, describe: 'Show at most this many' })
      .check((a) => {
        checkInt('--limit', a.limit, 1, 100_000);
        return true;
      })
      .example('$0 inspect', 'the next 20 entries to run, and the running ones')
      .example('$0 inspect --state failed --limit 100', 'entries graphile-worker gave up on, with their last error'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const entries = await withDatabase(ctx, async (pool) =>
      (await pool.query<Entry>('select * from app_private.queue_entries($1, $2)', [args.state ?? null, args.limit])).rows,
    );
    const total = entries[0]?.total ?? 0;
    const list = entries.map(({ total: _total, ...e }) => e);
    const what = args.state ? `${args.state} ` : '';
    const human = entries.length
      ? [
          table(
            ['Id', 'Task', 'State', 'Priority', 'Run at', 'Attempts', 'Locked by', 'Posting', 'Last error'],
            list.map((e) => [
              e.id,
              e.task,
              e.state,
              e.priority,
              time(e.run_at),
              `${e.attempts}/${e.max_attempts}`,
              e.locked_by,
              e.job_id ? `${e.job_id} ${clip(`${e.title ?? '?'} @ ${e.company ?? '?'}`, 40)}` : e.key,
              clip(e.last_error, 60),
            ]),
          ),
          `Showing ${list.length} of ${total} ${what}queue entries.`,
        ].join('\n')
      : `No ${what}queue entries.`;
    ctx.out(human, { state: args.state ?? null, total, entries: list });
  }),
};
