// The worker process: graphile-worker running task review_job, plus the
// heartbeat that registers this process and the sweep that releases the
// work of processes that stopped answering (DESIGN 6).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger as WorkerLogger, run, type Runner } from 'graphile-worker';
import { workerPreset } from './preset.ts';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { resilientPool } from '../db/resilience.ts';
import type { Logger } from '../log.ts';
import { createVariants } from '../review/variants.ts';
import type { ReviewProvider } from '../review/providers/provider.ts';
import { setWorkerServices } from './active.ts';
import { createLifecycle } from './lifecycle.ts';
import { createReviewProcessor, type ReviewOutcome } from './process-review.ts';
import { crontab } from './scheduled.ts';
import { bindMetrics, reviewAttempts, reviewDuration } from '../metrics/metrics.ts';

export interface ReviewWorkerOptions {
  pool: Pool;
  config: Config;
  log: Logger;
  /** Overrides the provider JOB_REVIEW_PROVIDER names (when no variants are configured). */
  provider?: ReviewProvider;
  concurrency?: number;
  onOutcome?: (outcome: ReviewOutcome) => void;
}

export interface ReviewWorker {
  id: string;
  /** Stop taking work, let running reviews finish (or hand them back after the shutdown timeout). */
  stop(): Promise<void>;
  /** Settles when the worker stops, or rejects when it fails. */
  promise: Promise<void>;
}

function workerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'debug' : 'trace';
    log[method]({ ...scope, ...(meta ?? {}) }, message);
  });
}

export async function startReviewWorker(opts: ReviewWorkerOptions): Promise<ReviewWorker> {
  const { pool, config, log } = opts;
  const concurrency = opts.concurrency ?? config.concurrency;
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const variants = createVariants(config, log, opts.provider);
  // Everything the worker does in the database waits out outages (restart,
  // network cut, connection limit) instead of failing: see src/db/resilience.ts.
  // The waiting ends some time after stop() is called.
  const giveUp = new AbortController();
  const db = resilientPool(pool, { log, signal: giveUp.signal });
  const dbPool = db as unknown as Pool;
  const lifecycle = createLifecycle(dbPool, id, config);
  const reviews = createReviewProcessor({
      pool: dbPool,
      lifecycle,
      variants,
      recordVariant: config.variants !== undefined,
      settings: { minSalary: config.minSalary, maxAgeDays: config.maxAgeDays },
      log,
    onOutcome: (outcome) => {
      reviewAttempts.inc({ result: outcome.kind });
      if (outcome.kind === 'reviewed') reviewDuration.observe({ variant: outcome.variant }, outcome.durationMs / 1000);
      opts.onOutcome?.(outcome);
    },
  });
  bindMetrics(pool, { workerTimeoutSeconds: config.workerTimeoutSeconds });
  setWorkerServices({ pool: dbPool, config, log, reviews });

  const poolIds: string[] = [];
  const heartbeat = async () => {
    const { rows } = await db.query('select app_private.worker_heartbeat($1, $2, $3, $4, $5) as known', [
      id,
      hostname(),
      process.pid,
      poolIds,
      concurrency,
    ]);
    return rows[0].known as boolean;
  };
  await heartbeat();

  const events = new EventEmitter();
  events.on('pool:create', ({ workerPool }: { workerPool: { id: string } }) => {
    poolIds.push(workerPool.id);
    heartbeat().catch((e) => log.warn({ err: e }, 'heartbeat failed'));
  });

  let runner: Runner;
  try {
    runner = await run({
      preset: {
        extends: [workerPreset({ concurrency, shutdownTimeoutSeconds: config.shutdownTimeoutSeconds, reviewsEnabled: config.reviewsEnabled })],
      },
      pgPool: dbPool,
      events: events as never,
      logger: workerLogger(log),
      noHandleSignals: true,
      crontab: crontab(config),
      // Reviews paused: leave review_job entries for other workers (or later).
      forbiddenFlags: config.reviewsEnabled ? null : ['review'],
    });
  } catch (error) {
    setWorkerServices(undefined);
    await pool.query('select app_private.worker_deregister($1)', [id]).catch(() => {});
    throw error;
  }

  // Heartbeat, then look for workers that stopped answering. A failure here
  // (database restarting) is logged and tried again on the next beat.
  let beating = false;
  const beat = async () => {
    if (beating) return;
    beating = true;
    try {
      const known = await heartbeat();
      if (!known) log.warn({ workerId: id }, 'this worker had been presumed dead; registered again');
      const { rows } = await db.query('select * from app_private.recover_dead_workers($1)', [config.workerTimeoutSeconds]);
      for (const r of rows) log.warn({ deadWorker: r.worker_id, released: r.released }, 'released the postings of a worker that stopped responding');
      // Keeps app.job_review_stats() reading a handful of rows (sqitch change stats_counters).
      await db.query('select app_private.compact_stat_deltas()');
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'heartbeat or recovery failed; will retry');
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(beat, config.heartbeatIntervalSeconds * 1000);
  timer.unref();
  beat();

  log.info(
    { workerId: id, concurrency, variants: variants.map((v) => `${v.name}:${v.provider.name}@${v.share}`), reviewsEnabled: config.reviewsEnabled },
    config.reviewsEnabled ? 'review worker started' : 'review worker started with reviews disabled (JOB_REVIEW_ENABLED=false)',
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(timer);
      // Running reviews get the shutdown timeout to finish and record; past
      // that (plus a margin to hand them back), stop waiting for a database
      // that is not there.
      setTimeout(() => giveUp.abort(), (config.shutdownTimeoutSeconds + 10) * 1000).unref();
      await runner.stop();
      setWorkerServices(undefined);
      await pool.query('select app_private.worker_deregister($1)', [id]).catch(() => {});
      log.info({ workerId: id }, 'review worker stopped');
    })());

  return { id, stop, promise: runner.promise };
}
