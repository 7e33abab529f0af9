// graphile-worker's tuning for this service, as one typed preset.
import { fileURLToPath } from 'node:url';
import type {} from 'graphile-worker';
import type { GraphileConfig } from 'graphile-config';

export const TASK_DIRECTORY = fileURLToPath(new URL('../../tasks', import.meta.url));

export interface WorkerTuning {
  connectionString?: string;
  concurrency: number;
  shutdownTimeoutSeconds: number;
  /** false: no local queue, since it would lock review entries it must not run. */
  reviewsEnabled?: boolean;
}

export function workerPreset(t: WorkerTuning): GraphileConfig.Preset {
  return {
    worker: {
      connectionString: t.connectionString,
      concurrentJobs: t.concurrency,
      taskDirectory: TASK_DIRECTORY,
      fileExtensions: ['.ts', '.js'],
      // Fetch and lock a batch per round trip, and complete jobs in batches:
      // graphile-worker's own fast path.
      localQueue: { size: t.reviewsEnabled === false ? -1 : Math.max(2, t.concurrency) },
      completeJobBatchDelay: 0,
      failJobBatchDelay: 0,
      // After this long, running reviews are aborted and handed back.
      gracefulShutdownAbortTimeout: Math.round(t.shutdownTimeoutSeconds * 1000),
      pollInterval: 2000,
    },
  };
}
