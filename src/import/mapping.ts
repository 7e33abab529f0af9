// One imported record (a CSV row, a JSON object) onto the columns of
// app.jobs. Column names are matched loosely (case, spaces and punctuation
// ignored) against the aliases below, which cover JobSpy's output and the
// usual names of other scrapers and exports. The result is validated by a
// zod schema; a record that fails gets one reason, naming the field.
import { z } from 'zod';
import { detectCurrency, normaliseInterval, parseAmount, parseSalary, type SalaryInterval } from './salary.ts';

/** Column of app.jobs -> the input names accepted for it, first match wins. Documented in the README. */
export const COLUMN_ALIASES = {
  site: ['site', 'source', 'board', 'job_board'],
  job_url: ['job_url', 'url', 'link', 'job_link', 'posting_url', 'job_url_direct', 'apply_url'],
  title: ['title', 'job_title', 'position', 'role'],
  company: ['company', 'company_name', 'employer', 'organization', 'organisation'],
  company_url: ['company_url', 'company_website', 'company_url_direct', 'employer_url'],
  location_city: ['city', 'location_city'],
  location_state: ['state', 'location_state', 'region', 'province'],
  location_country: ['country', 'location_country'],
  location: ['location', 'job_location'],
  is_remote: ['is_remote', 'remote', 'work_from_home'],
  job_type: ['job_type', 'employment_type', 'type'],
  interval: ['interval', 'salary_interval', 'pay_period', 'salary_period'],
  min_amount: ['min_amount', 'salary_min', 'min_salary', 'salary_from', 'pay_min'],
  max_amount: ['max_amount', 'salary_max', 'max_salary', 'salary_to', 'pay_max'],
  currency: ['currency', 'salary_currency'],
  salary: ['salary', 'compensation', 'salary_text', 'pay', 'salary_range', 'wage'],
  description: ['description', 'job_description', 'summary', 'body', 'details'],
  date_posted: ['date_posted', 'posted_at', 'date', 'posted', 'published_at', 'posted_date', 'created_at'],
  priority: ['priority'],
} as const;

type Field = keyof typeof COLUMN_ALIASES;

/** "Job URL", "job-url" and "JOB_URL" are all job_url. */
export function normaliseColumn(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const aliasIndex = new Map<string, Field>();
for (const [field, aliases] of Object.entries(COLUMN_ALIASES) as Array<[Field, readonly string[]]>) {
  for (const a of aliases) if (!aliasIndex.has(a)) aliasIndex.set(a, field);
}

const columnCache = new Map<string, Field | null>();
function fieldOf(key: string): Field | null {
  let field = columnCache.get(key);
  if (field === undefined) {
    field = aliasIndex.get(normaliseColumn(key)) ?? null;
    if (columnCache.size < 10_000) columnCache.set(key, field);
  }
  return field;
}

const MISSING = new Set(['', 'nan', 'null', 'none', 'n/a', 'na']);

function present(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return v.length > 6 || !MISSING.has(v.trim().toLowerCase());
  if (typeof v === 'number') return Number.isFinite(v);
  return true;
}

function text(v: unknown): string | null {
  if (!present(v)) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v).trim();
}

export class RowError extends Error {}

function fail(message: string): never {
  throw new RowError(message);
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1', 'remote']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0', 'onsite', 'on-site', 'on site']);

function bool(v: unknown, field: string): boolean | null {
  if (!present(v)) return null;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  return fail(`${field} ${show(v)} is not true or false`);
}

const ISO_DATE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:$|[T ])/;
const MONTH_NAME = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i;

function validDate(y: number, m: number, d: number): string | null {
  const t = Date.UTC(y, m - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return null;
  return back.toISOString().slice(0, 10);
}

/**
 * date_posted as 'YYYY-MM-DD'. Accepts ISO dates and date-times (the date as
 * written, no time-zone shift), YYYY/MM/DD, Unix epochs in seconds or
 * milliseconds, and dates with a month name ("March 1, 2024", RFC 2822).
 * Day/month-ambiguous forms such as 03/04/2024 are refused.
 */
export function parseDate(v: unknown): string | null {
  if (!present(v)) return null;
  let out: string | null = null;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d{9,13}(\.\d+)?$/.test(v.trim()))) {
    const n = Number(v);
    const ms = n > 1e11 ? n : n * 1000;
    const d = new Date(ms);
    if (Number.isFinite(d.getTime())) out = d.toISOString().slice(0, 10);
  } else if (typeof v === 'string') {
    const s = v.trim();
    const m = s.match(ISO_DATE);
    if (m) out = validDate(Number(m[1]), Number(m[2]), Number(m[3]));
    else if (MONTH_NAME.test(s)) {
      const t = Date.parse(`${s.replace(/(\d)(st|nd|rd|th)\b/, '$1')} UTC`);
      const t2 = Number.isFinite(t) ? t : Date.parse(s);
      if (Number.isFinite(t2)) out = new Date(t2).toISOString().slice(0, 10);
    }
  }
  if (!out) return fail(`date_posted ${show(v)} is not a date (use YYYY-MM-DD)`);
  const year = Number(out.slice(0, 4));
  if (year < 1990 || year > new Date().getUTCFullYear() + 1) return fail(`date_posted ${show(v)} is out of range`);
  return out;
}

function amount(v: unknown, field: string): number | null {
  if (!present(v)) return null;
  const n = parseAmount(v);
  if (n === null) return null;
  if (Number.isNaN(n)) return fail(`${field} ${show(v)} is not an amount`);
  return n;
}

const MAX_AMOUNT = 9_999_999_999.99; // numeric(12, 2)

const nonEmpty = (name: string) =>
  z.string({ error: `${name} is missing` }).trim().min(1, `${name} is missing`).max(10_000, `${name} is longer than 10,000 characters`);

const money = (name: string) =>
  z.number().min(0, `${name} is negative (a salary cannot be)`).max(MAX_AMOUNT, `${name} is too large`).nullable();

/** What one row must satisfy before it is sent to the database. */
export const importedJobSchema = z
  .object({
    title: nonEmpty('title'),
    company: nonEmpty('company'),
    job_url: nonEmpty('job_url'),
    site: nonEmpty('site'),
    company_url: z.string().nullable(),
    location_country: z.string().nullable(),
    location_state: z.string().nullable(),
    location_city: z.string().nullable(),
    is_remote: z.boolean().nullable(),
    job_type: z.string().nullable(),
    interval: z.enum(['yearly', 'monthly', 'weekly', 'daily', 'hourly']).nullable(),
    min_amount: money('min_amount'),
    max_amount: money('max_amount'),
    currency: z.string().max(10, 'currency is not a currency code').nullable(),
    description: z.string().nullable(),
    date_posted: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable(),
    priority: z.number().int('priority must be a whole number').min(-32768).max(32767).nullable(),
    source_raw: z.record(z.string(), z.unknown()),
  })
  .refine((j) => j.min_amount === null || j.max_amount === null || j.min_amount <= j.max_amount, {
    message: 'min_amount is greater than max_amount',
    path: ['min_amount'],
  });

export type ImportedJob = z.output<typeof importedJobSchema>;

export interface MapOptions {
  /** site for records that have none; otherwise the job URL's host name. */
  defaultSite?: string;
}

export type MapResult = { ok: true; job: ImportedJob } | { ok: false; reason: string };

function siteFromUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/** Maps and validates one record; never throws. */
export function mapRecord(record: Record<string, unknown>, opts: MapOptions = {}): MapResult {
  try {
    return { ok: true, job: mapOrThrow(record, opts) };
  } catch (error) {
    if (error instanceof RowError) return { ok: false, reason: error.message };
    throw error;
  }
}

function mapOrThrow(record: Record<string, unknown>, opts: MapOptions): ImportedJob {
  const v: Partial<Record<Field, unknown>> = {};
  // The raw record, kept as source_raw, without empty values and without the
  // description (stored verbatim in its own column; no need to keep it twice).
  const raw: Record<string, unknown> = {};
  for (const key in record) {
    const value = record[key];
    if (!present(value)) continue;
    // PostgreSQL text cannot hold U+0000; name it here rather than let the database refuse the batch.
    if (key.includes('\0') || (typeof value === 'string' ? value.includes('\0') : typeof value === 'object' && JSON.stringify(value).includes('\\u0000'))) {
      fail(`${show(key)} contains a NUL character (\\u0000), which PostgreSQL cannot store in text`);
    }
    const field = fieldOf(key);
    if (field && v[field] === undefined) v[field] = value;
    if (field !== 'description') raw[key] = value;
  }

  let city = text(v.location_city);
  let state = text(v.location_state);
  let country = text(v.location_country);
  let remote = bool(v.is_remote, 'is_remote');
  if (v.location !== undefined) {
    const loc = v.location;
    if (loc && typeof loc === 'object' && !Array.isArray(loc)) {
      const o = loc as Record<string, unknown>;
      city ??= text(o.city);
      state ??= text(o.state ?? o.region);
      country ??= text(o.country);
    } else {
      // "Austin, TX, US", "Austin, TX", "Berlin", "Remote"
      const parts = String(loc).split(',').map((p) => p.trim()).filter(Boolean);
      if (parts.length === 1 && /^remote$/i.test(parts[0])) remote ??= true;
      else if (parts.length >= 3) {
        city ??= parts[0];
        state ??= parts[1];
        country ??= parts.slice(2).join(', ');
      } else if (parts.length === 2) {
        city ??= parts[0];
        state ??= parts[1];
      } else if (parts.length === 1) city ??= parts[0];
    }
  }

  let interval: SalaryInterval | null = null;
  if (present(v.interval)) {
    interval = normaliseInterval(String(v.interval));
    if (!interval) fail(`interval ${show(v.interval)} is not yearly, monthly, weekly, daily or hourly`);
  }
  let min = amount(v.min_amount, 'min_amount');
  let max = amount(v.max_amount, 'max_amount');
  let currency = text(v.currency);
  if (currency) currency = /^[a-z]{3}$/i.test(currency) ? currency.toUpperCase() : (detectCurrency(currency) ?? currency);
  if (min === null && max === null && present(v.salary)) {
    const parsed = parseSalary(String(v.salary));
    if (parsed) {
      min = parsed.min;
      max = parsed.max;
      interval ??= parsed.interval;
      currency ??= parsed.currency;
    }
  }

  const jobUrl = text(v.job_url);
  let priority: number | null = null;
  if (present(v.priority)) {
    priority = Number(v.priority);
    if (!Number.isFinite(priority)) fail(`priority ${show(v.priority)} is not a number`);
  }
  const candidate = {
    site: text(v.site) ?? opts.defaultSite ?? siteFromUrl(jobUrl) ?? undefined,
    job_url: jobUrl ?? undefined,
    title: text(v.title) ?? undefined,
    company: text(v.company) ?? undefined,
    company_url: text(v.company_url),
    location_country: country,
    location_state: state,
    location_city: city,
    is_remote: remote,
    job_type: text(v.job_type),
    interval,
    min_amount: min,
    max_amount: max,
    currency,
    description: text(v.description),
    date_posted: parseDate(v.date_posted),
    priority,
    source_raw: raw,
  };
  const result = importedJobSchema.safeParse(candidate);
  if (!result.success) {
    const reasons = result.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      return issue.message.includes(field) || !field ? issue.message : `${field}: ${issue.message}`;
    });
    fail([...new Set(reasons)].join('; '));
  }
  return result.data;
}
