// What the tasks of this process call into. Tasks stay thin: they parse
// their payload and hand it to these services.
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { ReviewProcessor } from './process-review.ts';

export interface WorkerServices {
  pool: Pool;
  config: Config;
  log: Logger;
  reviews: ReviewProcessor;
}

let active: WorkerServices | undefined;

export function setWorkerServices(services: WorkerServices | undefined): void {
  active = services;
}

export function workerServices(): WorkerServices {
  if (!active) throw new Error('a job-review task ran outside a job-review worker (no worker services)');
  return active;
}
