// The career brand the reviewer reads: app.career_brand, with the shipped
// default for any dimension the user has not written yet, so that a fresh
// install reviews something meaningful.
import type { Queryable } from '../db/pool.ts';
import type { CareerBrand } from './contracts.ts';
import { DEFAULT_WEIGHTS, DIMENSIONS, type Dimension } from './dimensions.ts';

export const DEFAULT_BRAND_TEXT: Record<Dimension, string> = {
  north_star:
    'Build software products that people rely on every day. Prefer developer tools, data infrastructure, ' +
    'platform engineering and open source; avoid ad-tech, gambling and crypto speculation. Impact, ownership and product quality matter.',
  trajectory_mastery:
    'Senior, staff or principal engineering roles with technical leadership: architecture, distributed systems, ' +
    'databases, reliability and mentoring. Growth toward staff or principal engineer; not junior, intern or purely managerial roles.',
  values_compass:
    'Engineering culture with autonomy, transparency, psychological safety, diversity and inclusion, sustainable pace, ' +
    'written communication, code review and learning. Avoid crunch, hustle culture and rockstar or ninja language.',
  lifestyle_alignment:
    'Remote first or hybrid with flexible hours, async collaboration and work-life balance; little travel; no on-call heroics or relocation required.',
  compensation_philosophy:
    'Base salary of at least 180,000 USD a year, equity, bonus, healthcare benefits, 401k and generous paid time off; transparent salary bands.',
};

export function defaultBrand(): CareerBrand {
  return Object.fromEntries(DIMENSIONS.map((d) => [d, { content: DEFAULT_BRAND_TEXT[d], weight: DEFAULT_WEIGHTS[d] }])) as CareerBrand;
}

export interface BrandWithSource {
  brand: CareerBrand;
  /** The dimensions that came from the database; the others are defaults. */
  stored: Dimension[];
}

export async function loadBrand(db: Queryable): Promise<BrandWithSource> {
  const brand = defaultBrand();
  const { rows } = await db.query<{ dimension: Dimension; content: string; weight: number }>(
    'select dimension, content, weight from app.career_brand',
  );
  const stored: Dimension[] = [];
  for (const row of rows) {
    brand[row.dimension] = { content: row.content.trim() || DEFAULT_BRAND_TEXT[row.dimension], weight: Number(row.weight) };
    stored.push(row.dimension);
  }
  return { brand, stored };
}
