// Crontab: re-run the pre-filter over reviewed postings when its settings changed.
import type { Task } from 'graphile-worker';
import { workerServices } from '../src/worker/active.ts';
import { nightlyBackfill } from '../src/worker/scheduled.ts';

const backfillPrefilterTask: Task = async () => {
  await nightlyBackfill(workerServices());
};

export default backfillPrefilterTask;
