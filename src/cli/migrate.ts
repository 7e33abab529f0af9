import type { CommandModule } from 'yargs';
import { migrate } from '../db/migrate.ts';
import { commandContext, connect, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';

export const migrateCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'migrate',
  describe: "Install graphile-worker's schema and deploy the sqitch plan (safe to run twice, or from two processes at once)",
  builder: (y) => y.example('$0 migrate', 'bring the database named by DATABASE_URL (or the embedded one) up to date'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const conn = await connect(ctx, { poolSize: 4 });
    try {
      const result = await migrate(conn.pool, { log: (m) => ctx.log.debug(m) });
      ctx.out(
        result.deployed.length
          ? `Deployed ${result.deployed.length} change(s): ${result.deployed.join(', ')}`
          : `Nothing to deploy: ${result.alreadyDeployed} change(s) already deployed`,
        result,
      );
    } finally {
      await conn.close();
    }
  }),
};
