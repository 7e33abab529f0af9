// The default reviewer: offline, deterministic and fast. Each dimension is
// scored from the posting's words against that dimension's brand text, plus
// the structured fields that speak to it (salary, remote, seniority).
// Same posting and brand in, same assessment out.
import type { CareerBrand, Posting, ReviewInput } from '../contracts.ts';
import { DIMENSIONS, DIMENSION_TITLES, type Dimension } from '../dimensions.ts';
import { annualisedMaxSalary } from '../prefilter.ts';
import type { AssessContext, AssessResult, ReviewProvider } from './provider.ts';

export const HEURISTIC_VERSION = 'heuristic@1';

const STOPWORDS = new Set(
  'about above after again against also avoid because been before being below between both but could does doing down during each every few from further have having here into just more most must need never only other over same should some such than that their them then there these they this those through under until very what when where which while with within would your yours work working role roles year years least prefer toward like'.split(
    ' ',
  ),
);

const SENIOR = /\b(senior|sr\.?|staff|principal|lead|architect|distinguished|head of|director)\b/i;
const JUNIOR = /\b(junior|jr\.?|intern|internship|graduate|entry[- ]level|associate|apprentice|trainee)\b/i;

interface BrandTerms {
  positive: Map<Dimension, string[]>;
  negative: Map<Dimension, string[]>;
}

const brandCache = new WeakMap<CareerBrand, BrandTerms>();

function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z][a-z0-9+#-]{2,}/g) ?? [];
}

/** Brand sentences after "avoid", "not" or "no" list what the user does not want. */
function brandTerms(brand: CareerBrand): BrandTerms {
  const cached = brandCache.get(brand);
  if (cached) return cached;
  const positive = new Map<Dimension, string[]>();
  const negative = new Map<Dimension, string[]>();
  for (const d of DIMENSIONS) {
    const pos = new Set<string>();
    const neg = new Set<string>();
    for (const clause of brand[d].content.split(/[.;\n]+/)) {
      const m = clause.match(/\b(avoid|not|no|never|without)\b(.*)/i);
      const head = m ? clause.slice(0, m.index) : clause;
      for (const w of words(head)) if (!STOPWORDS.has(w) && w.length >= 4) pos.add(stem(w));
      if (m) for (const w of words(m[2])) if (!STOPWORDS.has(w) && w.length >= 4) neg.add(stem(w));
    }
    for (const w of neg) pos.delete(w);
    positive.set(d, [...pos].sort());
    negative.set(d, [...neg].sort());
  }
  const terms = { positive, negative };
  brandCache.set(brand, terms);
  return terms;
}

/** A crude, stable stem so "databases"/"database" and "mentoring"/"mentor" meet. */
function stem(w: string): string {
  return w.replace(/(ing|ed|es|s)$/, '').slice(0, 12);
}

function postingStems(p: Posting): Set<string> {
  const text = [p.title, p.company, p.job_type, p.description].filter(Boolean).join(' ');
  return new Set(words(text).map(stem));
}

function clamp(n: number): number {
  return Math.max(1, Math.min(5, Math.round(n)));
}

interface DimensionAssessment {
  score: number;
  summary: string;
}

function keywordAssessment(d: Dimension, stems: Set<string>, terms: BrandTerms): { delta: number; hits: string[]; misses: string[] } {
  const pos = terms.positive.get(d) ?? [];
  const neg = terms.negative.get(d) ?? [];
  const hits = pos.filter((w) => stems.has(w));
  const misses = neg.filter((w) => stems.has(w));
  // Three or more brand terms is a strong match; each "avoid" term found costs a point.
  const delta = Math.min(2, hits.length * 0.6) - Math.min(2, misses.length);
  return { delta, hits, misses };
}

function describeHits(hits: string[], misses: string[]): string {
  const parts: string[] = [];
  if (hits.length) parts.push(`mentions ${hits.slice(0, 5).join(', ')}`);
  if (misses.length) parts.push(`but also ${misses.slice(0, 3).join(', ')}`);
  return parts.length ? parts.join(' ') : 'no brand terms found in the posting';
}

function compensation(p: Posting, stems: Set<string>, terms: BrandTerms, minSalary: number): DimensionAssessment {
  const k = keywordAssessment('compensation_philosophy', stems, terms);
  const annual = annualisedMaxSalary(p);
  if (annual === null) {
    return { score: clamp(3 + k.delta / 2), summary: `Salary not stated; ${describeHits(k.hits, k.misses)}` };
  }
  const ratio = minSalary > 0 ? annual / minSalary : 2;
  const base = ratio >= 1.3 ? 5 : ratio >= 1.1 ? 4 : ratio >= 1 ? 3 : ratio >= 0.85 ? 2 : 1;
  return {
    score: clamp(base + (k.delta > 0 ? 0.4 : k.delta < 0 ? -0.4 : 0)),
    summary: `Up to ${Math.round(annual).toLocaleString('en-US')}${p.currency ? ` ${p.currency}` : ''} a year against a floor of ${minSalary.toLocaleString('en-US')}; ${describeHits(k.hits, k.misses)}`,
  };
}

function lifestyle(p: Posting, stems: Set<string>, terms: BrandTerms, brand: CareerBrand): DimensionAssessment {
  const k = keywordAssessment('lifestyle_alignment', stems, terms);
  const wantsRemote = /\bremote\b/i.test(brand.lifestyle_alignment.content);
  let base = 3;
  let where = 'remote status not stated';
  if (p.is_remote === true) {
    base = wantsRemote ? 4.5 : 3.5;
    where = 'remote';
  } else if (p.is_remote === false) {
    base = wantsRemote ? 2 : 3;
    where = `on-site${p.location_city ? ` in ${p.location_city}` : ''}`;
  }
  return { score: clamp(base + k.delta / 2), summary: `${where[0].toUpperCase()}${where.slice(1)}; ${describeHits(k.hits, k.misses)}` };
}

function trajectory(p: Posting, stems: Set<string>, terms: BrandTerms): DimensionAssessment {
  const k = keywordAssessment('trajectory_mastery', stems, terms);
  let base = 3;
  let level = 'level not stated in the title';
  if (JUNIOR.test(p.title)) {
    base = 1.4;
    level = 'a junior title';
  } else if (SENIOR.test(p.title)) {
    base = 4;
    level = `a senior title (${p.title.match(SENIOR)?.[0]})`;
  }
  return { score: clamp(base + k.delta / 2), summary: `${level[0].toUpperCase()}${level.slice(1)}; ${describeHits(k.hits, k.misses)}` };
}

function keywordOnly(d: Dimension, stems: Set<string>, terms: BrandTerms): DimensionAssessment {
  const k = keywordAssessment(d, stems, terms);
  return { score: clamp(2.6 + k.delta), summary: `${DIMENSION_TITLES[d]}: ${describeHits(k.hits, k.misses)}` };
}

/** The one or two description sentences that carry the most brand terms. */
export function extractiveTldr(p: Posting, allTerms: Set<string>): string {
  const head = `${p.title} at ${p.company}`;
  const sentences = (p.description ?? '')
    .replace(/[#*_`>|]+/g, ' ')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= 20 && s.length <= 400);
  let best: string | undefined;
  let bestHits = 0;
  for (const s of sentences) {
    const hits = new Set(words(s).map(stem).filter((w) => allTerms.has(w))).size;
    if (hits > bestHits) {
      best = s;
      bestHits = hits;
    }
  }
  const chosen = best ?? sentences[0];
  return chosen ? `${head}: ${chosen}` : head;
}

export function createHeuristicProvider(): ReviewProvider {
  return {
    name: HEURISTIC_VERSION,
    model: null,
    async assess({ posting, brand }: ReviewInput, ctx: AssessContext): Promise<AssessResult> {
      const terms = brandTerms(brand);
      const stems = postingStems(posting);
      const dimensions: Record<Dimension, DimensionAssessment> = {
        north_star: keywordOnly('north_star', stems, terms),
        trajectory_mastery: trajectory(posting, stems, terms),
        values_compass: keywordOnly('values_compass', stems, terms),
        lifestyle_alignment: lifestyle(posting, stems, terms, brand),
        compensation_philosophy: compensation(posting, stems, terms, ctx.minSalary),
      };
      const allTerms = new Set([...terms.positive.values()].flat());
      const ranked = [...DIMENSIONS].sort((a, b) => dimensions[b].score - dimensions[a].score);
      const assessment = {
        dimensions,
        tldr_summary: extractiveTldr(posting, allTerms),
        personas: [],
        tradeoffs: ranked
          .filter((d) => dimensions[d].score <= 2)
          .map((d) => `${DIMENSION_TITLES[d]}: ${dimensions[d].summary}`),
        actions: ranked.filter((d) => dimensions[d].score === 3).map((d) => `Ask about ${DIMENSION_TITLES[d].toLowerCase()}`),
        sources: ['posting', 'career_brand'],
      };
      return { assessment, raw: { provider: HEURISTIC_VERSION, assessment } };
    },
  };
}
