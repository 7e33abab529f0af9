// One delivery attempt of one webhook event. Every attempt is logged in
// app.webhook_deliveries; a failure throws so that graphile-worker retries
// it with its exponential backoff.
import { z } from 'zod';
import type { Pool } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from './signature.ts';

export const deliverWebhookPayload = z.object({
  webhook_id: z.uuid(),
  event: z.enum(['review.completed', 'review.failed', 'review.overridden']),
  job_id: z.uuid().nullable(),
  body: z.record(z.string(), z.unknown()),
});
export type DeliverWebhookPayload = z.output<typeof deliverWebhookPayload>;

export class WebhookDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookDeliveryError';
  }
}

export async function deliverWebhook(
  deps: { pool: Pool; log: Logger; timeoutMs: number },
  payload: DeliverWebhookPayload,
  delivery: { id: string; attempt: number },
): Promise<void> {
  const { rows } = await deps.pool.query<{ url: string; secret: string; enabled: boolean }>('select * from app_private.webhook_target($1)', [payload.webhook_id]);
  const target = rows[0];
  if (!target || !target.enabled) {
    deps.log.info({ webhookId: payload.webhook_id }, 'webhook deleted or disabled; delivery dropped');
    return;
  }
  const body = JSON.stringify({ ...payload.body, delivery_id: delivery.id });
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'job-review-webhooks/1',
        [EVENT_HEADER]: payload.event,
        [DELIVERY_HEADER]: delivery.id,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: sign(target.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs),
    });
    status = response.status;
    await response.arrayBuffer().catch(() => undefined);
    if (status < 200 || status >= 300) error = `receiver answered HTTP ${status}`;
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    error = err.name === 'TimeoutError' ? `no answer within ${deps.timeoutMs} ms` : `request failed: ${err.cause?.code ?? err.message}`;
  }
  const durationMs = Math.round(performance.now() - started);
  await deps.pool.query('select app_private.log_webhook_delivery($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
    payload.webhook_id,
    payload.event,
    payload.job_id,
    delivery.id,
    delivery.attempt,
    status,
    error,
    durationMs,
    error === null,
  ]);
  if (error) throw new WebhookDeliveryError(`${payload.event} to webhook ${payload.webhook_id}: ${error}`);
  deps.log.debug({ webhookId: payload.webhook_id, event: payload.event, status, durationMs }, 'webhook delivered');
}
