// The yargs entry: global options, one module per command, and exit codes
// that mean something: 0 success, 1 the operation failed, 2 usage error.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { migrateCommand } from './migrate.ts';
import { serveCommand } from './serve.ts';
import { startCommand } from './start.ts';
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
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`job-review: ${msg}\nRun 'job-review --help' for usage.\n`);
      process.exit(2);
    })
    .parseAsync();
}
