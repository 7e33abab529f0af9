// The one small interface every reviewer implements. A provider assesses the
// five dimensions and writes words; scoring and the recommendation are shared.
import type { ReviewInput } from '../contracts.ts';

export interface AssessContext {
  /** The salary floor, so providers can judge compensation against it. */
  minSalary: number;
  signal?: AbortSignal;
}

export interface AssessResult {
  /** Parsed by assessmentSchema before use: providers are not trusted. */
  assessment: unknown;
  /** The provider's whole raw output, stored in crew_output for debugging. */
  raw: unknown;
  usage?: { promptTokens: number; completionTokens: number };
}

export interface ReviewProvider {
  /** Provider and version, stored as job_reviews.reviewer. */
  readonly name: string;
  /** Stored as job_reviews.model_used. */
  readonly model: string | null;
  assess(input: ReviewInput, ctx: AssessContext): Promise<AssessResult>;
}

/** A failure the worker retries with backoff (5xx, timeout, bad output). */
export class RetryableReviewError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryableReviewError';
  }
}

/** The endpoint said "slow down": reschedule without using up an attempt. */
export class RateLimitedError extends Error {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super(message);
    this.name = 'RateLimitedError';
    this.retryAfterMs = retryAfterMs;
  }
}
