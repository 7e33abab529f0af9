// The review state transitions, as calls to the SQL functions of
// sqitch/deploy/review_lifecycle.sql. Concurrent calls are batched.
import type { Pool } from '../db/pool.ts';
import type { ReviewOutput } from '../review/contracts.ts';
import { createBatcher } from './batcher.ts';

export interface ClaimedPosting {
  id: string;
  review_attempts: number;
  [column: string]: unknown;
}

export interface ReviewRecord {
  job_id: string;
  attempt: number;
  output: ReviewOutput;
  crew_output: unknown;
  reviewer: string;
  variant: string | null;
  model_used: string | null;
  processing_time_ms: number;
}

export interface ReviewFailure {
  job_id: string;
  attempt: number;
  error: string;
  retryable: boolean;
}

export interface FailureOutcome {
  job_id: string;
  status: 'pending_review' | 'error';
  next_review_at: Date | null;
}

export interface Lifecycle {
  claim(jobId: string, queueId: string): Promise<ClaimedPosting | null>;
  record(review: ReviewRecord): Promise<boolean>;
  fail(failure: ReviewFailure): Promise<FailureOutcome | null>;
  release(jobIds: string[], retryAt?: Date | null, reason?: string): Promise<string[]>;
}

function reviewRow(r: ReviewRecord) {
  const o = r.output;
  return {
    job_id: r.job_id,
    attempt: r.attempt,
    recommend: o.final.recommend,
    confidence: o.final.confidence,
    rationale: o.final.rationale,
    overall_alignment_score: o.overall_alignment_score,
    tldr_summary: o.tldr_summary,
    dimensions: o.dimensions,
    pre_filter: o.pre_filter,
    personas: o.personas,
    tradeoffs: o.tradeoffs,
    actions: o.actions,
    sources: o.sources,
    crew_output: r.crew_output,
    reviewer: r.reviewer,
    variant: r.variant,
    model_used: r.model_used,
    processing_time_ms: r.processing_time_ms,
  };
}

export function createLifecycle(pool: Pool, workerId: string, settings: { maxRetries: number; retryDelaySeconds: number; batchSize: number }): Lifecycle {
  const batch = { maxSize: settings.batchSize };
  const claim = createBatcher<{ jobId: string; queueId: string }, ClaimedPosting | null>(async (items) => {
    const { rows } = await pool.query<ClaimedPosting>('select * from app_private.claim_reviews($1, $2::uuid[], $3::bigint[])', [
      workerId,
      items.map((i) => i.jobId),
      items.map((i) => i.queueId),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return items.map((i) => byId.get(i.jobId) ?? null);
  }, batch);

  const record = createBatcher<ReviewRecord, boolean>(async (items) => {
    const { rows } = await pool.query<{ job_id: string }>('select job_id from app_private.record_reviews($1, $2::jsonb) as job_id', [
      workerId,
      JSON.stringify(items.map(reviewRow)),
    ]);
    const recorded = new Set(rows.map((r) => r.job_id));
    return items.map((i) => recorded.has(i.job_id));
  }, batch);

  const fail = createBatcher<ReviewFailure, FailureOutcome | null>(async (items) => {
    const { rows } = await pool.query<FailureOutcome>('select * from app_private.record_review_failures($1, $2::jsonb, $3, $4)', [
      workerId,
      JSON.stringify(items),
      settings.maxRetries,
      settings.retryDelaySeconds,
    ]);
    const byId = new Map(rows.map((r) => [r.job_id, r]));
    return items.map((i) => byId.get(i.job_id) ?? null);
  }, batch);

  return {
    claim: (jobId, queueId) => claim({ jobId, queueId }),
    record,
    fail,
    async release(jobIds, retryAt = null, reason) {
      const { rows } = await pool.query<{ id: string }>('select id from app_private.release_reviews($1, $2::uuid[], $3, $4) as id', [
        workerId,
        jobIds,
        retryAt,
        reason ?? null,
      ]);
      return rows.map((r) => r.id);
    },
  };
}
