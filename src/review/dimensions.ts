// The five career-brand dimensions and their default weights (DESIGN 5).
export const DIMENSIONS = [
  'north_star',
  'trajectory_mastery',
  'values_compass',
  'lifestyle_alignment',
  'compensation_philosophy',
] as const;

export type Dimension = (typeof DIMENSIONS)[number];

export const DEFAULT_WEIGHTS: Record<Dimension, number> = {
  compensation_philosophy: 0.3,
  trajectory_mastery: 0.3,
  north_star: 0.2,
  values_compass: 0.15,
  lifestyle_alignment: 0.05,
};

export const DIMENSION_TITLES: Record<Dimension, string> = {
  north_star: 'North Star',
  trajectory_mastery: 'Trajectory & Mastery',
  values_compass: 'Values Compass',
  lifestyle_alignment: 'Lifestyle Alignment',
  compensation_philosophy: 'Compensation Philosophy',
};
