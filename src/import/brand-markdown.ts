// A career-brand markdown file, split on its headings into the five
// dimensions. The headings at the shallowest level that names a dimension
// split the file ("# North Star" or "## North Star" under a title); deeper
// headings are part of the text. A heading at that level that names no
// dimension is reported as unknown and its text is not imported. A heading
// may carry a weight: "# Compensation Philosophy (weight 0.3)".
import { DIMENSIONS, DIMENSION_TITLES, type Dimension } from '../review/dimensions.ts';

export interface BrandSection {
  dimension: Dimension;
  heading: string;
  line: number;
  content: string;
  weight: number | null;
}

export interface ParsedBrand {
  sections: BrandSection[];
  unknown: Array<{ heading: string; line: number }>;
  /** Problems that stop the import (a dimension twice, an empty section, a bad weight). */
  errors: string[];
}

const key = (s: string) => s.toLowerCase().replace(/&/g, ' and ').replace(/[^a-z0-9]+/g, ' ').trim();

const NAMES = new Map<string, Dimension>();
for (const d of DIMENSIONS) {
  NAMES.set(key(d.replace(/_/g, ' ')), d);
  NAMES.set(key(DIMENSION_TITLES[d]), d);
}
// Common spellings.
NAMES.set('trajectory mastery', 'trajectory_mastery');
NAMES.set('trajectory', 'trajectory_mastery');
NAMES.set('values', 'values_compass');
NAMES.set('lifestyle', 'lifestyle_alignment');
NAMES.set('compensation', 'compensation_philosophy');

const WEIGHT = /\s*[([]\s*weight\s*[:=]?\s*([0-9.]+)\s*[)\]]\s*$/i;

function dimensionOf(heading: string): { dimension: Dimension | null; weight: string | null; name: string } {
  const w = heading.match(WEIGHT);
  const name = w ? heading.slice(0, w.index).trim() : heading.trim();
  // "1. North Star", "North Star: what I want"
  const bare = key(name.replace(/^\d+[.)]\s*/, '').split(/[:\u2014-]\s/)[0]);
  return { dimension: NAMES.get(bare) ?? NAMES.get(key(name)) ?? null, weight: w ? w[1] : null, name };
}

export function parseBrandMarkdown(markdown: string): ParsedBrand {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headings: Array<{ level: number; text: string; line: number }> = [];
  let fence = false;
  lines.forEach((l, i) => {
    if (/^\s*(```|~~~)/.test(l)) fence = !fence;
    const m = !fence && l.match(/^(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (m) headings.push({ level: m[1].length, text: m[2], line: i + 1 });
  });
  const levels = headings.filter((h) => dimensionOf(h.text).dimension).map((h) => h.level);
  const result: ParsedBrand = { sections: [], unknown: [], errors: [] };
  if (levels.length === 0) {
    result.errors.push(`no heading names a dimension (expected headings such as ${DIMENSIONS.map((d) => `"# ${DIMENSION_TITLES[d]}"`).join(', ')})`);
    return result;
  }
  const level = Math.min(...levels);
  const splits = headings.filter((h) => h.level === level);
  for (let i = 0; i < splits.length; i++) {
    const h = splits[i];
    const end = i + 1 < splits.length ? splits[i + 1].line - 1 : lines.length;
    const { dimension, weight, name } = dimensionOf(h.text);
    if (!dimension) {
      result.unknown.push({ heading: h.text, line: h.line });
      continue;
    }
    const content = lines.slice(h.line, end).join('\n').trim();
    if (result.sections.some((s) => s.dimension === dimension)) {
      result.errors.push(`line ${h.line}: "${name}" repeats the ${DIMENSION_TITLES[dimension]} dimension`);
      continue;
    }
    if (!content) result.errors.push(`line ${h.line}: "${name}" has no text`);
    let w: number | null = null;
    if (weight !== null) {
      w = Number(weight);
      if (!Number.isFinite(w) || w < 0 || w > 1) result.errors.push(`line ${h.line}: weight ${weight} must be from 0 to 1`);
    }
    result.sections.push({ dimension, heading: h.text, line: h.line, content, weight: w });
  }
  return result;
}
