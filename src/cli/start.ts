import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';
import { signToken } from '../api/auth.ts';
import { describeUrl } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { CliError, commandContext, connect, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';
import { untilSignal } from './signals.ts';

export const startCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'start',
  describe: 'Everything in one process: the database (embedded when DATABASE_URL is unset), migrations, a review worker and the API, until Ctrl-C',
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
      const secret = apiSecret(ctx.config.jwtSecret, conn.db.embedded, ctx.config.dataDir);
      // Loaded here, not at the top: `job-review --help` need not load PostGraphile and graphile-worker.
      const [{ startReviewWorker }, { startApiServer }] = await Promise.all([import('../worker/runner.ts'), import('../api/server.ts')]);
      const worker = await startReviewWorker({ pool: conn.pool, config: ctx.config, log: ctx.log });
      let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
      try {
        const apiOptions = { pool: conn.pool, config: ctx.config, log: ctx.log, jwtSecret: secret.value };
        try {
          api = await startApiServer(apiOptions);
        } catch (error) {
          // Zero setup must not fail because something else holds PORT: take any free port.
          if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
          ctx.log.warn(`port ${ctx.config.port} is in use; the API takes a free port instead (set PORT to choose)`);
          api = await startApiServer({ ...apiOptions, port: 0 });
        }
      } catch (error) {
        await worker.stop();
        throw error;
      }
      // A day-long operator token for the person who just ran `start`.
      const token = await signToken({ secret: secret.value, role: 'operator', sub: 'start', expiresInSeconds: 86_400 });
      const openUrl = `${api.url}/#token=${token}`;
      ctx.out(
        [
          `PostgreSQL ${conn.db.embedded ? '(embedded) ' : ''}ready at ${where}`,
          `Review worker ${worker.id} running (concurrency ${ctx.config.concurrency}, provider ${ctx.config.provider})`,
          `API at ${api.url} (GraphQL ${api.url}/graphql, REST ${api.url}/job-review/...)`,
          `Operator token (24h${secret.source === 'generated' ? `, secret generated into ${secret.file}` : secret.source === 'file' ? `, secret from ${secret.file}` : ''}): ${token}`,
          `Open: ${openUrl}`,
          'Press Ctrl-C to stop.',
        ].join('\n'),
        {
          event: 'started',
          database: where,
          embedded: conn.db.embedded,
          deployed: migrated.deployed,
          workerId: worker.id,
          api: api.url,
          graphql: `${api.url}/graphql`,
          token,
          open: openUrl,
        },
      );
      const signal = await Promise.race([untilSignal(), worker.promise.then(() => 'worker stopped' as const)]);
      ctx.log.info(`${signal}: shutting down`);
      try {
        await api.close();
      } finally {
        await worker.stop();
      }
    } finally {
      await conn.close();
    }
    ctx.log.info('stopped');
  }),
};

/**
 * The API's signing secret: JWT_SECRET when set. Without it, only the
 * all-in-one start on the embedded database (a local, single-user install)
 * generates one into <data dir>/jwt-secret (mode 0600) once and reuses it;
 * against a database someone else may share, start refuses like serve.
 */
function apiSecret(configured: string | undefined, embedded: boolean, dataDir: string): { value: string; source: 'env' | 'file' | 'generated'; file?: string } {
  if (configured) return { value: configured, source: 'env' };
  if (!embedded) {
    throw new CliError('JWT_SECRET is not set: with DATABASE_URL the API refuses to start without it (only the embedded default generates one).', 2);
  }
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return { value, source: 'file', file };
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(48).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { value, source: 'generated', file };
}
