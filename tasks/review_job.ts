import type { Task } from 'graphile-worker';
import { workerServices } from '../src/worker/active.ts';
import { reviewJobPayload } from '../src/worker/payload.ts';

const reviewJob: Task = async (payload, helpers) => {
  const { job_id } = reviewJobPayload.parse(payload);
  await workerServices().reviews.process(job_id, helpers.job.id, helpers.abortSignal);
};

export default reviewJob;
