// Crontab: archive old postings and prune the webhook delivery log.
import type { Task } from 'graphile-worker';
import { workerServices } from '../src/worker/active.ts';
import { applyRetention } from '../src/worker/scheduled.ts';

const applyRetentionTask: Task = async () => {
  await applyRetention(workerServices());
};

export default applyRetentionTask;
