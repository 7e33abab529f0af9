// The yargs entry: global options, one module per command, and exit codes
// that mean something: 0 success, 1 the operation failed, 2 usage error.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { backfillCommand } from './backfill.ts';
import { brandCommand } from './brand.ts';
import { webhookCommand } from './webhook.ts';
import { createJobCommand } from './create-job.ts';
import { importCommand } from './import.ts';
import { inspectCommand } from './inspect.ts';
import { migrateCommand } from './migrate.ts';
import { queueCommand } from './queue.ts';
import { requeueCommand } from './requeue.ts';
import { serveCommand } from './serve.ts';
import { startCommand } from './start.ts';
import { statsCommand } from './stats.ts';
import { statusCommand } from './status.ts';
import { testCommand } from './test.ts';
import { tokenCommand } from './token.ts';
import { workerCommand } from './worker.ts';

export async function main(argv = hideBin(process.argv)): Promise<void> {
  await yargs(argv)
    .scriptName('job-review')
    .usage('$0 <command> [options]\n\nPostgres-native job-posting review service.')
    .option('json', { type: 'boolean', describe: 'Machine-readable output on stdout (logs stay on stderr)', global: true })
    .option('database-url', { type: 'string', describe: 'PostgreSQL URL (default: DATABASE_URL, or the embedded database)', global: true })
    .command(startCommand)
    .command(migrateCommand)
    .command(workerCommand)
    .command(queueCommand)
    .command(statusCommand)
    .command(statsCommand)
    .command(requeueCommand)
    .command(testCommand)
    .command(inspectCommand)
    .command(importCommand)
    .command(createJobCommand)
    .command(brandCommand)
    .command(webhookCommand)
    .command(backfillCommand)
    .command(serveCommand)
    .command(tokenCommand)
    .demandCommand(1, 'Name a command; see --help')
    .strict()
    .recommendCommands()
    .completion('completion', 'Print a shell completion script (bash/zsh)')
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    // Everything that reaches here is a usage error (a handler's own failures
    // are caught by runCommand): unknown flag, missing or malformed argument,
    // a .check() that threw. One line, exit 2, no stack.
    .fail((msg, err) => {
      process.stderr.write(`job-review: ${msg || err?.message || 'invalid arguments'}\nRun 'job-review --help' for usage.\n`);
      if (err && (process.env.LOG_LEVEL ?? '').toLowerCase() === 'debug') process.stderr.write(`${err.stack}\n`);
      process.exit(2);
    })
    .parseAsync();
}
