// One review of one posting: pre-filter, then the provider's assessment, then
// the shared scoring, validated against the output contract. The worker and
// `job-review test` both call this, so they store the same thing.
import { assessmentSchema, reviewOutputSchema, type ReviewInput, type ReviewOutput } from './contracts.ts';
import { DIMENSIONS, DIMENSION_TITLES, type Dimension } from './dimensions.ts';
import { preFilter } from './prefilter.ts';
import { RetryableReviewError, type ReviewProvider } from './providers/provider.ts';
import { confidenceFor, overallScore, recommends } from './scoring.ts';

export interface ReviewSettings {
  minSalary: number;
  maxAgeDays: number;
  recommendThreshold: number;
  now?: Date;
}

export interface ReviewResult {
  output: ReviewOutput;
  /** Stored as crew_output: the provider's raw output, or the pre-filter's verdict. */
  raw: unknown;
  reviewer: string;
  model: string | null;
  providerCalled: boolean;
  usage?: { promptTokens: number; completionTokens: number };
}

export function rationaleFor(scores: Record<Dimension, number>, overall: number, confidence: string, recommend: boolean): string {
  const ranked = [...DIMENSIONS].sort((a, b) => scores[b] - scores[a] || DIMENSIONS.indexOf(a) - DIMENSIONS.indexOf(b));
  const strongest = ranked[0];
  const weakest = ranked[ranked.length - 1];
  return (
    `${recommend ? 'Recommended' : 'Not recommended'}: overall ${overall.toFixed(2)}/10 (${confidence} confidence). ` +
    `Strongest: ${DIMENSION_TITLES[strongest]} (${scores[strongest]}/5). Weakest: ${DIMENSION_TITLES[weakest]} (${scores[weakest]}/5).`
  );
}

export async function reviewPosting(
  input: ReviewInput,
  provider: ReviewProvider,
  settings: ReviewSettings,
  signal?: AbortSignal,
): Promise<ReviewResult> {
  const { posting, brand } = input;
  const filter = preFilter(posting, settings);
  if (!filter.recommend) {
    const output = reviewOutputSchema.parse({
      final: { recommend: false, confidence: 'high', rationale: `Rejected by the pre-filter: ${filter.reason}.` },
      pre_filter: filter,
      dimensions: {},
      overall_alignment_score: null,
      tldr_summary: `${posting.title} at ${posting.company}: ${filter.reason}.`,
      personas: [],
      tradeoffs: [],
      actions: [],
      sources: ['pre_filter'],
    });
    return { output, raw: { pre_filter: filter }, reviewer: 'pre_filter', model: null, providerCalled: false };
  }

  const result = await provider.assess(input, { minSalary: settings.minSalary, signal });
  const parsed = assessmentSchema.safeParse(result.assessment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RetryableReviewError(`reviewer output failed the schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const a = parsed.data;
  const scores = Object.fromEntries(DIMENSIONS.map((d) => [d, a.dimensions[d].score])) as Record<Dimension, number>;
  const weights = Object.fromEntries(DIMENSIONS.map((d) => [d, brand[d].weight])) as Record<Dimension, number>;
  const overall = overallScore(scores, weights);
  const confidence = confidenceFor(overall);
  const recommend = recommends(overall, settings.recommendThreshold);
  const output = reviewOutputSchema.parse({
    final: { recommend, confidence, rationale: rationaleFor(scores, overall, confidence, recommend) },
    pre_filter: filter,
    dimensions: a.dimensions,
    overall_alignment_score: overall,
    tldr_summary: a.tldr_summary,
    personas: a.personas,
    tradeoffs: a.tradeoffs,
    actions: a.actions,
    sources: a.sources,
  });
  return { output, raw: result.raw, reviewer: provider.name, model: provider.model, providerCalled: true, usage: result.usage };
}
