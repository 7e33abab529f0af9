// Crontab: queue pending postings that have no queue entry (inserted while
// the enqueue trigger was off, restored from a backup, ...).
import type { Task } from 'graphile-worker';
import { workerServices } from '../src/worker/active.ts';
import { sweepPending } from '../src/worker/scheduled.ts';

const sweepPendingTask: Task = async () => {
  await sweepPending(workerServices());
};

export default sweepPendingTask;
