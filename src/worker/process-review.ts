// One queue entry of task review_job: claim the posting, review it outside
// any transaction, then record the result (or the failure) in one statement.
import type { Logger } from '../log.ts';
import { loadBrand } from '../review/brand.ts';
import { postingSchema, type CareerBrand } from '../review/contracts.ts';
import { RateLimitedError } from '../review/providers/provider.ts';
import type { ReviewSettings } from '../review/review.ts';
import { reviewWithVariant, type Variant } from '../review/variants.ts';
import type { Pool } from '../db/pool.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface ReviewProcessor {
  process(jobId: string, queueId: string, signal: AbortSignal): Promise<void>;
}

export interface ProcessorDeps {
  pool: Pool;
  lifecycle: Lifecycle;
  /** One or more reviewer variants; each posting's is chosen from its id. */
  variants: Variant[];
  /** Named variants are recorded on the review; the lone implicit one is not. */
  recordVariant: boolean;
  settings: Omit<ReviewSettings, 'recommendThreshold'>;
  log: Logger;
  /** How long a loaded career brand is reused before it is read again. */
  brandTtlMs?: number;
  onOutcome?: (outcome: ReviewOutcome) => void;
}

export type ReviewOutcome =
  | { kind: 'reviewed'; jobId: string; recommend: boolean; durationMs: number; reviewer: string; variant: string }
  | { kind: 'retry' | 'failed'; jobId: string; error: string }
  | { kind: 'rate_limited' | 'handed_back' | 'skipped' | 'fenced'; jobId: string };

/** The text of an error, with anything that looks like a secret removed. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\b(sk|key|token)-[A-Za-z0-9_-]{6,}/g, '[redacted]').slice(0, 2000);
}

export function createReviewProcessor(deps: ProcessorDeps): ReviewProcessor {
  const { lifecycle, variants, settings, log } = deps;
  const ttl = deps.brandTtlMs ?? 10_000;
  let brandCache: { brand: CareerBrand; at: number } | undefined;
  let brandLoading: Promise<CareerBrand> | undefined;

  async function brand(): Promise<CareerBrand> {
    if (brandCache && Date.now() - brandCache.at < ttl) return brandCache.brand;
    brandLoading ??= loadBrand(deps.pool)
      .then(({ brand }) => {
        brandCache = { brand, at: Date.now() };
        return brand;
      })
      .finally(() => (brandLoading = undefined));
    return brandLoading;
  }

  const outcome = (o: ReviewOutcome) => deps.onOutcome?.(o);

  // graphile-worker notices a future run_at only at its next poll; wake the
  // workers (ours and any other process) when a retry falls due instead.
  function wakeAt(at: Date | null | undefined) {
    if (!at) return;
    const timer = setTimeout(
      () => deps.pool.query(`select pg_notify('jobs:insert', '{"count":1}')`).catch(() => {}),
      Math.max(0, at.getTime() - Date.now()) + 5,
    );
    timer.unref();
  }

  return {
    async process(jobId, queueId, signal) {
      const claimed = await lifecycle.claim(jobId, queueId);
      if (!claimed) {
        // Deleted, archived, already reviewed or claimed elsewhere: nothing to do.
        log.debug({ jobId }, 'posting not claimable; skipped');
        outcome({ kind: 'skipped', jobId });
        return;
      }
      const attempt = claimed.review_attempts;
      const started = performance.now();
      try {
        const posting = postingSchema.parse(claimed);
        const { result, variant } = await reviewWithVariant({ posting, brand: await brand() }, variants, settings, signal);
        if (signal.aborted) throw signal.reason ?? new Error('aborted');
        const durationMs = Math.round(performance.now() - started);
        const recorded = await lifecycle.record({
          job_id: jobId,
          attempt,
          output: result.output,
          crew_output: result.raw,
          reviewer: result.reviewer,
          variant: deps.recordVariant ? variant.name : null,
          model_used: result.model,
          processing_time_ms: durationMs,
        });
        if (recorded) {
          outcome({ kind: 'reviewed', jobId, recommend: result.output.final.recommend, durationMs, reviewer: result.reviewer, variant: variant.name });
        } else {
          // Our claim is gone: presumed dead and reclaimed, or archived meanwhile.
          log.warn({ jobId, attempt }, 'review not recorded: the claim was taken over or the posting changed');
          outcome({ kind: 'fenced', jobId });
        }
      } catch (error) {
        if (signal.aborted) {
          await lifecycle.release([jobId], null, 'handed back at shutdown');
          log.info({ jobId }, 'review interrupted by shutdown; handed back');
          outcome({ kind: 'handed_back', jobId });
          return;
        }
        if (error instanceof RateLimitedError) {
          const retryAt = new Date(Date.now() + error.retryAfterMs);
          await lifecycle.release([jobId], retryAt, errorText(error));
          wakeAt(retryAt);
          log.warn({ jobId, retryAfterMs: error.retryAfterMs }, 'reviewer rate-limited; rescheduled without using an attempt');
          outcome({ kind: 'rate_limited', jobId });
          return;
        }
        const text = errorText(error);
        const failed = await lifecycle.fail({ job_id: jobId, attempt, error: text, retryable: true });
        if (failed?.status === 'pending_review') {
          wakeAt(failed.next_review_at);
          log.warn({ jobId, attempt, nextReviewAt: failed.next_review_at, error: text }, 'review failed; retry scheduled');
          outcome({ kind: 'retry', jobId, error: text });
        } else if (failed) {
          log.error({ jobId, attempt, error: text }, 'review failed; attempts used up');
          outcome({ kind: 'failed', jobId, error: text });
        } else {
          outcome({ kind: 'fenced', jobId });
        }
      }
    },
  };
}
