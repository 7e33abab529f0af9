// "Test one posting now": reviews a posting in the API process with the
// configured provider and the stored career brand, and returns the result.
// Nothing is queued and nothing is stored: storing a review (with its claim,
// attempt count and fencing) stays the worker's job, so a test can never race
// a worker that is reviewing the same posting or overwrite its result.
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import { loadBrand } from '../review/brand.ts';
import { postingSchema, type ReviewOutput } from '../review/contracts.ts';
import { reviewWithVariant, type Variant } from '../review/variants.ts';

export interface TestReviewResult {
  jobId: string;
  output: ReviewOutput;
  reviewer: string;
  model: string | null;
  /** The reviewer variant the worker would use (null when no variants are configured). */
  variant: string | null;
  providerCalled: boolean;
  processingTimeMs: number;
  stored: false;
}

export type RowQuery = (text: string, values: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

/**
 * Loads the posting through app_private.posting_for_test as the caller's role
 * (only operators may execute it: that GRANT is the permission check), or
 * returns null when no posting has that id.
 */
export async function loadPostingForTest(query: RowQuery, jobId: string): Promise<unknown | null> {
  const { rows } = await query('select to_json(p)::text as posting from app_private.posting_for_test($1::uuid) p where p.id is not null', [jobId]);
  if (rows.length === 0) return null;
  return JSON.parse(String(rows[0].posting));
}

export async function reviewNow(deps: { pool: Pool; config: Config; variants: Variant[] }, row: unknown, signal?: AbortSignal): Promise<TestReviewResult> {
  const posting = postingSchema.parse(row);
  const { brand } = await loadBrand(deps.pool);
  const started = performance.now();
  const { result, variant } = await reviewWithVariant(
    { posting, brand },
    deps.variants,
    { minSalary: deps.config.minSalary, maxAgeDays: deps.config.maxAgeDays },
    signal,
  );
  return {
    jobId: posting.id,
    output: result.output,
    reviewer: result.reviewer,
    model: result.model,
    variant: deps.config.variants ? variant.name : null,
    providerCalled: result.providerCalled,
    processingTimeMs: Math.round(performance.now() - started),
    stored: false,
  };
}
