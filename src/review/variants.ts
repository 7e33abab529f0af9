// Reviewer variants for A/B tests. A posting's variant is chosen from its id
// alone, so it never changes between attempts, workers or restarts.
import { createHash } from 'node:crypto';
import type { Config, VariantSetting } from '../config.ts';
import type { Logger } from '../log.ts';
import type { CareerBrand, Posting } from './contracts.ts';
import { reviewPosting, type ReviewResult, type ReviewSettings } from './review.ts';
import { DIMENSIONS } from './dimensions.ts';
import { createHeuristicProvider } from './providers/heuristic.ts';
import { createOpenAIProvider } from './providers/openai.ts';
import type { ReviewProvider } from './providers/provider.ts';
import { instrumentProvider } from '../metrics/metrics.ts';

export interface Variant {
  name: string;
  share: number;
  provider: ReviewProvider;
  threshold: number;
  weights: VariantSetting['weights'];
}

/** A point in [0, 1) from the posting id: the first 48 bits of its SHA-256. */
export function variantPoint(jobId: string): number {
  const digest = createHash('sha256').update(jobId.toLowerCase()).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

export function chooseVariant<V extends { share: number }>(jobId: string, variants: V[]): V {
  const point = variantPoint(jobId);
  let cumulative = 0;
  for (const v of variants) {
    cumulative += v.share;
    if (point < cumulative) return v;
  }
  return variants[variants.length - 1];
}

export function createVariants(config: Config, log?: Logger, defaultProvider?: ReviewProvider): Variant[] {
  const settings: VariantSetting[] = config.variants ?? [{ name: 'default', share: 1, provider: config.provider }];
  return settings.map((s) => ({
    name: s.name,
    share: s.share,
    threshold: s.threshold ?? config.recommendThreshold,
    weights: s.weights,
    provider: instrumentProvider(
      !config.variants && defaultProvider
        ? defaultProvider
        : s.provider === 'openai'
          ? createOpenAIProvider({ ...config.openai, model: s.model ?? config.openai.model }, log)
          : createHeuristicProvider(),
    ),
  }));
}

/** The brand with a variant's weights in place of the stored ones. */
export function brandForVariant(brand: CareerBrand, variant: Pick<Variant, 'weights'>): CareerBrand {
  if (!variant.weights) return brand;
  const out = { ...brand };
  for (const d of DIMENSIONS) {
    const w = variant.weights[d];
    if (w !== undefined) out[d] = { ...brand[d], weight: w };
  }
  return out;
}

/**
 * Reviews a posting as the worker does: the variant its id chooses, that
 * variant's provider, weights and threshold. The worker, `job-review test`
 * and the API's "test now" all call this, so they agree.
 */
export async function reviewWithVariant(
  input: { posting: Posting; brand: CareerBrand },
  variants: Variant[],
  settings: Omit<ReviewSettings, 'recommendThreshold'>,
  signal?: AbortSignal,
): Promise<{ result: ReviewResult; variant: Variant }> {
  const variant = chooseVariant(input.posting.id, variants);
  const result = await reviewPosting(
    { posting: input.posting, brand: brandForVariant(input.brand, variant) },
    variant.provider,
    { ...settings, recommendThreshold: variant.threshold },
    signal,
  );
  return { result, variant };
}
