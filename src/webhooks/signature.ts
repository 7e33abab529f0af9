// Webhook signatures: HMAC-SHA256 over "<timestamp>.<body>" with the
// webhook's secret, sent as `X-Job-Review-Signature: sha256=<hex>` next to
// `X-Job-Review-Timestamp`. Receivers verify with verifySignature, which
// also refuses stale timestamps (replays).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-job-review-signature';
export const TIMESTAMP_HEADER = 'x-job-review-timestamp';
export const EVENT_HEADER = 'x-job-review-event';
export const DELIVERY_HEADER = 'x-job-review-delivery';

export function sign(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifySignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  opts: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = Math.floor((opts.now ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(sign(secret, ts, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
