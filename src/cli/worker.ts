import type { AddressInfo } from 'node:net';
import type { CommandModule } from 'yargs';
import { isMigrated } from '../db/migrate.ts';
import { CliError, commandContext, connect, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';
import { untilSignal } from './signals.ts';

interface WorkerArgs extends GlobalArgs {
  concurrency?: number;
  metricsPort?: number;
}

export const workerCommand: CommandModule<GlobalArgs, WorkerArgs> = {
  command: 'worker',
  describe: 'Run a review worker until SIGTERM/SIGINT (any number of them may share one database)',
  builder: (y) =>
    y
      .option('concurrency', { type: 'number', describe: 'Reviews at once (default: WORKER_CONCURRENCY)' })
      .option('metrics-port', { type: 'number', describe: 'Serve Prometheus /metrics on this port (default: METRICS_PORT; 0 = none)' })
      .check((a) => {
        if (a.concurrency !== undefined && (!Number.isInteger(a.concurrency) || a.concurrency < 1 || a.concurrency > 1000)) {
          throw new Error(`--concurrency must be a whole number from 1 to 1000 (got ${a.concurrency})`);
        }
        return true;
      })
      .example('$0 worker --concurrency 16', 'review with 16 postings at a time'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const concurrency = args.concurrency ?? ctx.config.concurrency;
    const conn = await connect(ctx, { poolSize: Math.min(concurrency + 4, 100), applicationName: 'job-review worker' });
    try {
      if (!(await isMigrated(conn.pool))) throw new CliError("The database is not migrated: run 'job-review migrate' first");
      // Loaded here, not at the top: `job-review --help` need not load graphile-worker.
      const [{ startReviewWorker }, { startMetricsServer }] = await Promise.all([import('../worker/runner.ts'), import('../metrics/metrics.ts')]);
      const worker = await startReviewWorker({ pool: conn.pool, config: ctx.config, log: ctx.log, concurrency });
      const metricsPort = args.metricsPort ?? ctx.config.metricsPort;
      const metrics = metricsPort ? await startMetricsServer(metricsPort, ctx.config.host) : undefined;
      if (metrics) {
        const address = metrics.address() as AddressInfo;
        ctx.log.info(`metrics at http://${ctx.config.host}:${address.port}/metrics`);
        process.stdout.write(ctx.json ? '' : `Metrics at http://${ctx.config.host}:${address.port}/metrics\n`);
      }
      const paused = ctx.config.reviewsEnabled ? '' : ', reviews disabled by JOB_REVIEW_ENABLED=false';
      ctx.out(`Worker ${worker.id} running (concurrency ${concurrency}${paused}). Press Ctrl-C to stop.`, {
        event: 'started',
        workerId: worker.id,
        concurrency,
        reviewsEnabled: ctx.config.reviewsEnabled,
      });
      const signal = await Promise.race([untilSignal(), worker.promise.then(() => 'stopped' as const)]);
      ctx.log.info(`${signal}: stopping the worker (running reviews get up to ${ctx.config.shutdownTimeoutSeconds}s)`);
      await worker.stop();
      metrics?.close();
    } finally {
      await conn.close();
    }
  }),
};
