// The scoring every provider shares (DESIGN 5): a provider only produces
// 1-5 dimension scores; the overall score, confidence and recommendation are
// computed here, the same way for all.
import type { CONFIDENCES } from './contracts.ts';
import { DIMENSIONS, type Dimension } from './dimensions.ts';

export type Confidence = (typeof CONFIDENCES)[number];

/** 1 -> 2, 2 -> 4, 3 -> 6, 4 -> 8, 5 -> 10. */
export function toTenPointScale(score1to5: number): number {
  return 2 + (score1to5 - 1) * 2;
}

/** Weighted mean of the 0-10 dimension scores, rounded to 2 decimals. */
export function overallScore(scores: Record<Dimension, number>, weights: Record<Dimension, number>): number {
  let total = 0;
  let weightSum = 0;
  for (const d of DIMENSIONS) {
    total += toTenPointScale(scores[d]) * weights[d];
    weightSum += weights[d];
  }
  if (weightSum <= 0) throw new Error('career brand weights add up to zero');
  return Math.round((total / weightSum + Number.EPSILON) * 100) / 100;
}

/** low up to 4.0, medium up to 6.0, high above. */
export function confidenceFor(overall: number): Confidence {
  if (overall <= 4.0) return 'low';
  if (overall <= 6.0) return 'medium';
  return 'high';
}

export function recommends(overall: number, threshold: number): boolean {
  return overall >= threshold;
}
