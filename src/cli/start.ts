import type { CommandModule } from 'yargs';
import { describeUrl } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { startReviewWorker } from '../worker/runner.ts';
import { commandContext, connect, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';
import { untilSignal } from './signals.ts';

export const startCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'start',
  describe: 'Everything in one process: the database (embedded when DATABASE_URL is unset), migrations and a review worker, until Ctrl-C',
  builder: (y) => y.example('$0 start', 'zero setup: PostgreSQL in ./.data/postgres, kept across restarts'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const conn = await connect(ctx, { poolSize: 10, applicationName: 'job-review start' });
    try {
      const migrated = await migrate(conn.pool, { log: (m) => ctx.log.debug(m) });
      const where = describeUrl(conn.db.url);
      ctx.log.info(
        { deployed: migrated.deployed.length, alreadyDeployed: migrated.alreadyDeployed },
        migrated.deployed.length ? `migrated: deployed ${migrated.deployed.join(', ')}` : 'migrations: up to date',
      );
      const worker = await startReviewWorker({ pool: conn.pool, config: ctx.config, log: ctx.log });
      ctx.out(
        [
          `PostgreSQL ${conn.db.embedded ? '(embedded) ' : ''}ready at ${where}`,
          `Review worker ${worker.id} running (concurrency ${ctx.config.concurrency}, provider ${ctx.config.provider})`,
          'Press Ctrl-C to stop.',
        ].join('\n'),
        { event: 'started', database: where, embedded: conn.db.embedded, deployed: migrated.deployed, workerId: worker.id },
      );
      const signal = await Promise.race([untilSignal(), worker.promise.then(() => 'worker stopped' as const)]);
      ctx.log.info(`${signal}: shutting down`);
      await worker.stop();
    } finally {
      await conn.close();
    }
    ctx.log.info('stopped');
  }),
};
