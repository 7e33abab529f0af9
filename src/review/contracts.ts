// The reviewer's input and output contracts (DESIGN 5). Whatever a provider
// returns is parsed by these schemas before anything is stored.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from './dimensions.ts';

export const INTERVALS = ['yearly', 'monthly', 'weekly', 'daily', 'hourly'] as const;

export const postingSchema = z.object({
  id: z.uuid(),
  title: z.string(),
  company: z.string(),
  company_url: z.string().nullable().default(null),
  location_country: z.string().nullable().default(null),
  location_state: z.string().nullable().default(null),
  location_city: z.string().nullable().default(null),
  is_remote: z.boolean().nullable().default(null),
  job_type: z.string().nullable().default(null),
  interval: z.enum(INTERVALS).nullable().default(null),
  min_amount: z.number().nullable().default(null),
  max_amount: z.number().nullable().default(null),
  currency: z.string().nullable().default(null),
  description: z.string().nullable().default(null),
  // 'YYYY-MM-DD'
  date_posted: z.string().nullable().default(null),
});
export type Posting = z.output<typeof postingSchema>;

export const brandSchema = z.object(
  Object.fromEntries(DIMENSIONS.map((d) => [d, z.object({ content: z.string(), weight: z.number().min(0).max(1) })])) as Record<
    Dimension,
    z.ZodObject<{ content: z.ZodString; weight: z.ZodNumber }>
  >,
);
export type CareerBrand = z.output<typeof brandSchema>;

export const reviewInputSchema = z.object({ posting: postingSchema, brand: brandSchema });
export type ReviewInput = z.output<typeof reviewInputSchema>;

const dimensionScore = z.object({
  score: z.number().int().min(1).max(5),
  summary: z.string().min(1),
});

/** What a provider produces: dimension scores and words. Scoring is shared (scoring.ts). */
export const assessmentSchema = z.object({
  dimensions: z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, dimensionScore])) as Record<Dimension, typeof dimensionScore>),
  tldr_summary: z.string().min(1),
  personas: z.array(z.object({ id: z.string(), recommend: z.boolean(), reason: z.string() })).default([]),
  tradeoffs: z.array(z.string()).default([]),
  actions: z.array(z.string()).default([]),
  sources: z.array(z.string()).default([]),
});
export type Assessment = z.output<typeof assessmentSchema>;

export const CONFIDENCES = ['low', 'medium', 'high'] as const;

/** The stored review (DESIGN 5 output). */
export const reviewOutputSchema = z.object({
  final: z.object({
    recommend: z.boolean(),
    confidence: z.enum(CONFIDENCES),
    rationale: z.string().min(1),
  }),
  pre_filter: z.object({ recommend: z.boolean(), reason: z.string().nullable() }),
  // Empty when the pre-filter rejected the posting: no dimension was assessed.
  dimensions: z.union([assessmentSchema.shape.dimensions, z.object({}).strict()]),
  overall_alignment_score: z.number().min(0).max(10).nullable(),
  tldr_summary: z.string().min(1),
  personas: z.array(z.object({ id: z.string(), recommend: z.boolean(), reason: z.string() })),
  tradeoffs: z.array(z.string()),
  actions: z.array(z.string()),
  sources: z.array(z.string()),
});
export type ReviewOutput = z.output<typeof reviewOutputSchema>;
