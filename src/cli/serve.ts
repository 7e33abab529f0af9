import type { CommandModule } from 'yargs';
import { isMigrated } from '../db/migrate.ts';
import { CliError, commandContext, connect, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';
import { untilSignal } from './signals.ts';

interface ServeArgs extends GlobalArgs {
  host?: string;
  port?: number;
}

export const serveCommand: CommandModule<GlobalArgs, ServeArgs> = {
  command: 'serve',
  describe: 'Serve the GraphQL API (/graphql), the REST endpoints (/job-review/...), /healthz and /readyz until SIGTERM/SIGINT',
  builder: (y) =>
    y
      .option('host', { type: 'string', describe: 'Address to listen on (default: HOST)' })
      .option('port', { type: 'number', describe: 'Port to listen on, 0 for any free one (default: PORT)' })
      .check((a) => {
        if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 0 || a.port > 65_535)) {
          throw new Error(`--port must be a whole number from 0 to 65535 (got ${a.port})`);
        }
        return true;
      })
      .example('JWT_SECRET=... $0 serve --port 3000', 'the API on port 3000; mint tokens with `job-review token`'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const secret = ctx.config.jwtSecret;
    if (!secret) {
      throw new CliError('JWT_SECRET is not set: the API refuses to start without it. Set JWT_SECRET (a long random string) and mint tokens with `job-review token`.', 2);
    }
    const conn = await connect(ctx, { poolSize: 20, applicationName: 'job-review serve' });
    try {
      if (!(await isMigrated(conn.pool))) throw new CliError("The database is not migrated: run 'job-review migrate' first");
      // Loaded here, not at the top: `job-review --help` need not load PostGraphile.
      const { startApiServer } = await import('../api/server.ts');
      const api = await startApiServer({ pool: conn.pool, config: ctx.config, log: ctx.log, jwtSecret: secret, host: args.host, port: args.port });
      ctx.out(`API listening at ${api.url} (GraphQL ${api.url}/graphql). Press Ctrl-C to stop.`, { event: 'listening', url: api.url, graphql: `${api.url}/graphql` });
      const signal = await untilSignal();
      ctx.log.info(`${signal}: stopping the API`);
      await api.close();
    } finally {
      await conn.close();
    }
  }),
};
