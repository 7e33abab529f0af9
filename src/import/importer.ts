// `job-review import`: streams a file of postings into app.jobs in bounded
// batches (one INSERT ... ON CONFLICT (site, job_url) DO NOTHING per batch,
// so the statement-level enqueue trigger queues each batch with one call).
// Memory stays flat: one batch of rows plus a 16-byte digest per distinct
// (site, job_url) seen, to tell duplicates within the file from postings
// already in the database.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Pool } from '../db/pool.ts';
import { mapRecord, type ImportedJob } from './mapping.ts';
import { detectFormat, readRecords, type ImportFormat } from './sources.ts';

export interface Rejection {
  line: number;
  reason: string;
}

export interface ImportSummary {
  file: string;
  format: ImportFormat;
  /** Records read (good and bad), not counting a CSV header. */
  rows: number;
  /** New postings stored (including those stored as duplicates). */
  inserted: number;
  /** Of the inserted: stored with status duplicate by the dedup trigger (same company and title as an original). */
  stored_as_duplicate: number;
  /** Rows whose (site, job_url) appeared earlier in the same file. */
  duplicates_in_file: number;
  /** Rows whose (site, job_url) was already in the database. */
  already_present: number;
  rejected: number;
  /** The first rejections (line and reason); `rejected` counts them all. */
  rejections: Rejection[];
  /** Set when reading stopped early because the file is malformed as a whole. */
  fatal: Rejection | null;
  duration_ms: number;
}

export interface ImportOptions {
  format?: ImportFormat;
  /** site for rows that have none (otherwise the host of their job URL). */
  site?: string;
  batchSize?: number;
  /** How many rejections are kept for the report (all are counted). */
  maxRejectionsListed?: number;
  onProgress?: (bytesRead: number, totalBytes: number, summary: ImportSummary) => void;
}

const COLUMNS = [
  'site', 'job_url', 'title', 'company', 'company_url', 'location_country', 'location_state', 'location_city',
  'is_remote', 'job_type', 'interval', 'min_amount', 'max_amount', 'currency', 'description', 'date_posted',
  'priority', 'source_raw',
] as const;

const INSERT_SQL = `
  insert into app.jobs (${COLUMNS.map((c) => (c === 'interval' ? '"interval"' : c)).join(', ')})
  select site, job_url, title, company, company_url, location_country, location_state, location_city,
         is_remote, job_type, "interval", min_amount, max_amount, currency, description, date_posted,
         coalesce(priority, 0), source_raw
    from jsonb_to_recordset($1::jsonb) as r(
      site text, job_url text, title text, company text, company_url text, location_country text,
      location_state text, location_city text, is_remote boolean, job_type text, "interval" text,
      min_amount numeric, max_amount numeric, currency text, description text, date_posted date,
      priority smallint, source_raw jsonb)
  on conflict (site, job_url) do nothing
  returning status`;

interface Pending {
  line: number;
  job: ImportedJob;
}

/** Data errors (class 22) and constraint violations (class 23) are the row's fault, not the database's. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('22') || (code.startsWith('23') && code !== '23505');
}

export async function importFile(pool: Pool, file: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const started = performance.now();
  const format = opts.format ?? (await detectFormat(file));
  const totalBytes = (await stat(file)).size;
  const batchSize = opts.batchSize ?? 500;
  const maxListed = opts.maxRejectionsListed ?? 1000;
  const summary: ImportSummary = {
    file,
    format,
    rows: 0,
    inserted: 0,
    stored_as_duplicate: 0,
    duplicates_in_file: 0,
    already_present: 0,
    rejected: 0,
    rejections: [],
    fatal: null,
    duration_ms: 0,
  };
  const reject = (line: number, reason: string) => {
    summary.rejected++;
    if (summary.rejections.length < maxListed) summary.rejections.push({ line, reason });
  };
  const seen = new Set<string>();
  let batch: Pending[] = [];
  let bytesRead = 0;

  const insert = async (rows: Pending[]) => {
    try {
      const { rows: out } = await pool.query<{ status: string }>(INSERT_SQL, [JSON.stringify(rows.map((r) => r.job))]);
      count(rows.length, out);
    } catch (error) {
      if (!isRowError(error) || rows.length === 1) {
        if (rows.length === 1 && isRowError(error)) {
          reject(rows[0].line, `rejected by the database: ${(error as Error).message}`);
          return;
        }
        throw error;
      }
      // One bad row fails its whole batch: insert the rows one by one to name it.
      for (const row of rows) await insert([row]);
    }
  };
  const count = (sent: number, out: Array<{ status: string }>) => {
    summary.inserted += out.length;
    summary.stored_as_duplicate += out.filter((r) => r.status === 'duplicate').length;
    summary.already_present += sent - out.length;
  };
  // One INSERT in flight while the next batch is parsed: at most two batches in memory.
  let inflight: Promise<void> = Promise.resolve();
  let failure: unknown;
  const flush = async () => {
    await inflight;
    if (failure) throw failure;
    if (batch.length === 0) return;
    const rows = batch;
    batch = [];
    const read = bytesRead;
    inflight = insert(rows).then(
      () => opts.onProgress?.(read, totalBytes, summary),
      (error) => {
        failure = error;
      },
    );
  };

  for await (const item of readRecords(file, { format, onBytes: (b) => (bytesRead = b) })) {
    if ('error' in item) {
      if (item.fatal) {
        summary.fatal = { line: item.line, reason: item.error };
        break;
      }
      summary.rows++;
      reject(item.line, item.error);
      continue;
    }
    summary.rows++;
    const mapped = mapRecord(item.record, { defaultSite: opts.site });
    if (!mapped.ok) {
      reject(item.line, mapped.reason);
      continue;
    }
    const key = createHash('sha1').update(mapped.job.site).update('\0').update(mapped.job.job_url).digest().subarray(0, 16).toString('latin1');
    if (seen.has(key)) {
      summary.duplicates_in_file++;
      continue;
    }
    seen.add(key);
    batch.push({ line: item.line, job: mapped.job });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  await inflight;
  if (failure) throw failure;
  summary.rejections.sort((a, b) => a.line - b.line);
  opts.onProgress?.(totalBytes, totalBytes, summary);
  summary.duration_ms = Math.round(performance.now() - started);
  return summary;
}
