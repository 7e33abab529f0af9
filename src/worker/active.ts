// The review processor of this process, for tasks/review_job.ts. Tasks stay
// thin: they parse their payload and call in here.
import type { ReviewProcessor } from './process-review.ts';

let active: ReviewProcessor | undefined;

export function setActiveProcessor(processor: ReviewProcessor | undefined): void {
  active = processor;
}

export function activeProcessor(): ReviewProcessor {
  if (!active) throw new Error('review_job ran outside a job-review worker (no active review processor)');
  return active;
}
