import { z } from 'zod';

/** What the enqueue trigger puts on the queue for task review_job. */
export const reviewJobPayload = z.object({ job_id: z.uuid() });
export type ReviewJobPayload = z.output<typeof reviewJobPayload>;
