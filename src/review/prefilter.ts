// The deterministic pre-filter (DESIGN 5): runs first, and a rejection makes
// no provider call. Missing salary or date passes.
import type { Posting } from './contracts.ts';

const PER_YEAR = { yearly: 1, monthly: 12, weekly: 52, daily: 260, hourly: 2080 } as const;

export interface PreFilterSettings {
  minSalary: number;
  maxAgeDays: number;
  /** "Today", for deterministic tests and backfills. */
  now?: Date;
}

export interface PreFilterResult {
  recommend: boolean;
  reason: string | null;
}

/** The posting's maximum salary per year, when both an amount and an interval are known. */
export function annualisedMaxSalary(p: Pick<Posting, 'max_amount' | 'min_amount' | 'interval'>): number | null {
  const amount = p.max_amount ?? p.min_amount;
  if (amount == null || p.interval == null) return null;
  return Math.round(amount * PER_YEAR[p.interval] * 100) / 100;
}

export function ageInDays(datePosted: string | null, now: Date): number | null {
  if (!datePosted) return null;
  const posted = Date.parse(`${datePosted}T00:00:00Z`);
  if (Number.isNaN(posted)) return null;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.floor((today - posted) / 86_400_000);
}

export function preFilter(posting: Posting, settings: PreFilterSettings): PreFilterResult {
  const annual = annualisedMaxSalary(posting);
  if (annual !== null && annual < settings.minSalary) {
    return {
      recommend: false,
      reason: `Maximum salary ${formatMoney(annual, posting.currency)} a year is below the minimum ${formatMoney(settings.minSalary, posting.currency)}`,
    };
  }
  const age = ageInDays(posting.date_posted, settings.now ?? new Date());
  if (age !== null && age > settings.maxAgeDays) {
    return { recommend: false, reason: `Posted ${age} days ago, older than the ${settings.maxAgeDays}-day limit` };
  }
  return { recommend: true, reason: null };
}

function formatMoney(amount: number, currency: string | null): string {
  return `${amount.toLocaleString('en-US', { maximumFractionDigits: 0 })}${currency ? ` ${currency}` : ''}`;
}
