// Salary text as job boards write it ("$120K-$150K", "$45/hr",
// "120,000 USD a year", "£50k–£60k per annum", "Up to €4,000 a month") into
// the amounts, interval and currency app.jobs stores.

export type SalaryInterval = 'yearly' | 'monthly' | 'weekly' | 'daily' | 'hourly';

export interface ParsedSalary {
  min: number | null;
  max: number | null;
  interval: SalaryInterval | null;
  currency: string | null;
}

const SYMBOLS: Array<[RegExp, string]> = [
  [/\b(?:C\$|CA\$|CAD\s*\$)/i, 'CAD'],
  [/\b(?:A\$|AU\$|AUD\s*\$)/i, 'AUD'],
  [/\bNZ\$/i, 'NZD'],
  [/\bUS\$/i, 'USD'],
  [/\bR\$/, 'BRL'],
  [/£/, 'GBP'],
  [/€/, 'EUR'],
  [/₹/, 'INR'],
  [/¥/, 'JPY'],
  [/₩/, 'KRW'],
  [/\$/, 'USD'],
];

const CODES = new Set([
  'USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'CHF', 'JPY', 'CNY', 'INR', 'SGD', 'HKD', 'SEK', 'NOK', 'DKK',
  'PLN', 'CZK', 'HUF', 'BRL', 'MXN', 'ZAR', 'ILS', 'AED', 'KRW', 'TWD', 'RON', 'BGN', 'TRY', 'PHP', 'IDR',
]);

/** An ISO 4217 code or a known symbol in the text, or null. */
export function detectCurrency(text: string): string | null {
  const code = text.toUpperCase().match(/\b([A-Z]{3})\b/g)?.find((c) => CODES.has(c));
  if (code) return code;
  for (const [re, currency] of SYMBOLS) if (re.test(text)) return currency;
  return null;
}

const INTERVAL_WORDS: Array<[RegExp, SalaryInterval]> = [
  [/(?:\/|\bper\s+|\ban?\s+|\b)(?:hr|hour|hours|hourly|ph)\b|\/h\b/i, 'hourly'],
  [/(?:\/|\bper\s+|\ban?\s+|\b)(?:day|daily|diem)\b|\/d\b/i, 'daily'],
  [/(?:\/|\bper\s+|\ban?\s+|\b)(?:wk|week|weekly)\b|\/w\b/i, 'weekly'],
  [/(?:\/|\bper\s+|\ban?\s+|\b)(?:mo|mth|month|monthly|pcm)\b|\/m\b/i, 'monthly'],
  [/(?:\/|\bper\s+|\ban?\s+|\b)(?:yr|year|years|yearly|annum|annual|annually|pa|p\.a\.)(?:\b|$)|\/y\b/i, 'yearly'],
];

/** The interval named in the text ("/hr", "per annum", "a month", "monthly"), or null. */
export function detectInterval(text: string): SalaryInterval | null {
  for (const [re, interval] of INTERVAL_WORDS) if (re.test(text)) return interval;
  return null;
}

/** "yearly", "year", "annual", "per hour", "hr" ... as an interval; null when it is none of them. */
export function normaliseInterval(value: string): SalaryInterval | null {
  const s = value.trim().toLowerCase().replace(/^per\s+/, '');
  const table: Record<string, SalaryInterval> = {
    yearly: 'yearly', year: 'yearly', annual: 'yearly', annually: 'yearly', annum: 'yearly', yr: 'yearly', y: 'yearly', 'per year': 'yearly',
    monthly: 'monthly', month: 'monthly', mo: 'monthly', m: 'monthly',
    weekly: 'weekly', week: 'weekly', wk: 'weekly', w: 'weekly',
    daily: 'daily', day: 'daily', d: 'daily',
    hourly: 'hourly', hour: 'hourly', hr: 'hourly', h: 'hourly',
  };
  return table[s] ?? null;
}

// A number with optional thousands separators and decimals, then an
// optional multiplier: 120k, 1.2M, 120,000, 12,00,000 (Indian grouping), 45.50.
const AMOUNT = /(\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d+)?|\d{1,3}(?:[,\u00a0 ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*([kKmM])?(?![a-zA-Z])/g;

function amountsIn(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(AMOUNT)) {
    let n = Number(m[1].replace(/[,\u00a0 ]/g, ''));
    if (!Number.isFinite(n)) continue;
    const mult = m[2]?.toLowerCase();
    if (mult === 'k') n *= 1_000;
    else if (mult === 'm') n *= 1_000_000;
    // A minus sign right before the number (currency symbols and spaces
    // aside) that does not follow another amount is a sign, not a range.
    const before = text.slice(0, m.index).replace(/[\s$£€¥₹]+$/u, '');
    if (before.endsWith('-') && !/(\d|\d\s*[kKmM])$/.test(before.slice(0, -1).replace(/[\s$£€¥₹]+$/u, ''))) n = -n;
    out.push(Math.round(n * 100) / 100);
  }
  return out;
}

/** One amount ("120000", "$120,000", "120k", "45.50"); null when the text holds none; NaN when it holds something else. */
export function parseAmount(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : Number.NaN;
  const s = String(value).trim();
  if (s === '' || /^(nan|null|none|n\/a)$/i.test(s)) return null;
  // A plain number as pandas writes it: "190000.0", "1.9e5".
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return Number(s);
  const amounts = amountsIn(s);
  if (amounts.length !== 1) return Number.NaN;
  return amounts[0];
}

/**
 * Parses salary text. A range ("120k-150k", "$25 - $30", "from 100,000 to
 * 120,000") gives min and max; one amount gives both, except "up to X"
 * (max only) and "from X" / "X+" (min only). Without an interval word, a
 * K-suffixed or 5-digit-plus amount is yearly and one under 300 is hourly;
 * anything else keeps interval null. Returns null when no amount is found.
 */
export function parseSalary(text: string): ParsedSalary | null {
  const s = text.replace(/[–—]/g, '-').trim();
  if (!s) return null;
  const amounts = amountsIn(s);
  if (amounts.length === 0) return null;
  let min: number | null = amounts[0];
  let max: number | null = amounts.length > 1 ? amounts[1] : amounts[0];
  if (amounts.length === 1) {
    if (/\b(up\s+to|max(imum)?|under|below)\b/i.test(s)) min = null;
    else if (/\b(from|min(imum)?|at\s+least|starting)\b/i.test(s) || /\d\s*[kKmM]?\s*\+/.test(s)) max = null;
  }
  if (min !== null && max !== null && min > max) [min, max] = [max, min];
  let interval = detectInterval(s);
  if (!interval) {
    const top = max ?? min ?? 0;
    if (/\d\s*[kKmM]\b/.test(s) || top >= 10_000) interval = 'yearly';
    else if (top > 0 && top < 300) interval = 'hourly';
  }
  return { min, max, interval, currency: detectCurrency(s) };
}
