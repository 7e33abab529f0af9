import type { Task } from 'graphile-worker';
import { workerServices } from '../src/worker/active.ts';
import { deliverWebhook, deliverWebhookPayload } from '../src/webhooks/deliver.ts';

const deliverWebhookTask: Task = async (payload, helpers) => {
  const { pool, log, config } = workerServices();
  await deliverWebhook(
    { pool, log, timeoutMs: config.webhookTimeoutMs },
    deliverWebhookPayload.parse(payload),
    { id: helpers.job.id, attempt: helpers.job.attempts },
  );
};

export default deliverWebhookTask;
