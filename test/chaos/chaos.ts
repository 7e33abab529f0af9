// Shared machinery of the chaos scenarios (npm run test:chaos): an audit of
// every review write and every status change, the figures each scenario
// reports, a PostgreSQL cluster of the test's own (restartable, reachable
// from a network namespace), and worker processes inside or outside one.
import { spawn, execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { BIN, cliEnv } from '../helpers/cli.ts';
import { installReviewWriteAudit } from '../helpers/worker.ts';
import type { WorkerProcess } from '../worker/processes.ts';

export { spawnWorker, stopWorker, type WorkerProcess } from '../worker/processes.ts';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
export const RESULTS_FILE = join(ARTIFACTS, 'chaos-results.json');

// ---------------------------------------------------------------------------
// audit and figures

/**
 * review_writes (one row per insert or update of job_reviews) plus
 * status_changes (one row per status transition of a posting, clock time),
 * from which the longest stay in in_review is computed.
 */
export async function installChaosAudit(pool: Pool): Promise<void> {
  await installReviewWriteAudit(pool);
  await pool.query(`
    create table public.status_changes (seq bigserial primary key, job_id uuid not null, from_status text, to_status text not null,
                                        claimed_by text, at timestamptz not null default clock_timestamp());
    create function public.tg_status_changes() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into public.status_changes (job_id, from_status, to_status) values (new.id, null, new.status);
      elsif new.status is distinct from old.status then
        insert into public.status_changes (job_id, from_status, to_status, claimed_by) values (new.id, old.status, new.status, new.claimed_by);
      end if;
      return new;
    end $$;
    create trigger status_changes after insert or update of status on app.jobs for each row execute function public.tg_status_changes();
  `);
}

export interface Figures {
  /** Rows written to job_reviews (inserts and updates). */
  reviewsWritten: number;
  /** Postings with more than one review write. */
  duplicates: number;
  /** The longest uninterrupted stay in in_review, seconds (still in_review: until now). */
  maxInReviewSeconds: number;
  /** Postings per status now. */
  statuses: Record<string, number>;
  /** Postings with a non-error review row. */
  reviewed: number;
  /** Queue entries left in graphile_worker.jobs. */
  queueLeft: number;
}

export async function figures(pool: Pool): Promise<Figures> {
  const w = await pool.query(`select count(*)::int as writes, count(distinct job_id)::int as postings from public.review_writes`);
  const d = await pool.query(`select count(*)::int as n from (select job_id from public.review_writes group by job_id having count(*) > 1) x`);
  const m = await pool.query(`
    select coalesce(max(extract(epoch from coalesce(next_at, clock_timestamp()) - at)), 0)::float8 as s
      from (select to_status, at, lead(at) over (partition by job_id order by seq) as next_at from public.status_changes) c
     where to_status = 'in_review'`);
  const s = await pool.query(`select status, count(*)::int as n from app.jobs group by status order by status`);
  const r = await pool.query(`select count(*)::int as n from app.job_reviews where recommend is not null`);
  const q = await pool.query(`select count(*)::int as n from graphile_worker.jobs`);
  return {
    reviewsWritten: w.rows[0].writes,
    duplicates: d.rows[0].n,
    maxInReviewSeconds: Math.round(m.rows[0].s * 10) / 10,
    statuses: Object.fromEntries(s.rows.map((x) => [x.status, x.n])),
    reviewed: r.rows[0].n,
    queueLeft: q.rows[0].n,
  };
}

export interface ResultRow {
  scenario: string;
  faults: string;
  postingsExpected: number;
  reviewsWritten: number;
  duplicates: number;
  maxInReviewSeconds: number;
  durationSeconds: number;
  ok?: boolean;
  notes?: string;
}

export function formatRow(r: ResultRow): string {
  return (
    `chaos | ${r.scenario} | faults: ${r.faults} | postings: ${r.postingsExpected} | reviews written: ${r.reviewsWritten}` +
    ` | duplicates: ${r.duplicates} | longest in_review: ${r.maxInReviewSeconds.toFixed(1)} s | took ${r.durationSeconds.toFixed(0)} s` +
    (r.notes ? ` | ${r.notes}` : '')
  );
}

/**
 * Prints the row (t.comment) and appends it to test/artifacts/chaos-results.json,
 * which holds the rows of the latest run only (rows of an earlier run id are dropped).
 */
export function reportRow(t: { comment: (...a: unknown[]) => void; passing?: () => boolean }, row: ResultRow): void {
  const full = { ...row, ok: row.ok ?? (t.passing ? t.passing() : undefined), runId: process.env.JOB_REVIEW_TEST_RUN_ID ?? null, at: new Date().toISOString() };
  t.comment(formatRow(row));
  mkdirSync(ARTIFACTS, { recursive: true });
  let rows: Array<typeof full> = [];
  try {
    rows = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
    if (!Array.isArray(rows)) rows = [];
  } catch {
    rows = [];
  }
  rows = rows.filter((r) => r.runId === full.runId && r.scenario !== full.scenario);
  rows.push(full);
  const tmp = `${RESULTS_FILE}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(rows, null, 2)}\n`);
  renameSync(tmp, RESULTS_FILE);
}

// ---------------------------------------------------------------------------
// small things

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function count(pool: Pool, sql: string, values: unknown[] = []): Promise<number> {
  return (await pool.query(sql, values)).rows[0].n as number;
}

/** Settings for a worker using the openai provider against a fake LLM; every fixture passes the pre-filter. */
export function openaiEnv(llmUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    JOB_REVIEW_PROVIDER: 'openai',
    OPENAI_BASE_URL: llmUrl,
    OPENAI_API_KEY: 'sk-test-chaos',
    OPENAI_TIMEOUT_MS: '30000',
    OPENAI_MAX_CONCURRENCY: '64',
    JOB_REVIEW_WORKER_TIMEOUT: '3',
    JOB_REVIEW_HEARTBEAT_INTERVAL: '0.5',
    JOB_REVIEW_RETRY_DELAY: '0.2',
    JOB_REVIEW_MIN_SALARY: '0',
    JOB_REVIEW_MAX_AGE_DAYS: '36500',
    ...extra,
  };
}

// ---------------------------------------------------------------------------
// a cluster of our own

export interface OwnCluster {
  server: EmbeddedPostgres;
  /** Superuser URL of database postgres (127.0.0.1). */
  adminUrl: string;
  /** The migrated database job_review (127.0.0.1). */
  url: string;
  port: number;
  dataDir: string;
  /** Fast shutdown, then start again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster started by the test (never the machine's
 * shared service), migrated. Kept on disk across restart(); removed by stop().
 * `hbaAllow`: extra networks (CIDR) allowed to connect over TCP (trust).
 */
export async function startOwnCluster(opts: { settings?: Record<string, string | number | boolean>; hbaAllow?: string[]; log?: (m: string) => void } = {}): Promise<OwnCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'job-review-chaos-pg-'));
  const dataDir = join(dir, 'data');
  const settings = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', ...opts.settings };
  const log = opts.log ?? (() => {});
  let server = await startEmbeddedPostgres({ dataDir, persistent: true, settings, log });
  const port = server.port;
  if (opts.hbaAllow?.length) {
    appendFileSync(join(dataDir, 'pg_hba.conf'), opts.hbaAllow.map((cidr) => `host all all ${cidr} trust\n`).join(''));
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query('select pg_reload_conf()');
    await c.end();
  }
  const url = await ensureDatabase(server.url, 'job_review');
  const pool = createPool(url, { max: 2 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  let stopped = false;
  const cluster: OwnCluster = {
    get server() {
      return server;
    },
    adminUrl: server.url,
    url,
    port,
    dataDir,
    async restart(downMs = 0) {
      await server.stop();
      if (downMs) await sleep(downMs);
      server = await startEmbeddedPostgres({ dataDir, persistent: true, port, settings, log });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

// ---------------------------------------------------------------------------
// network namespaces

export function canUseNetns(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (ip netns, veth)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'needs iproute2 (the ip command)';
  }
  return null;
}

export interface Netns {
  name: string;
  /** Address of the root-namespace end of the veth pair. */
  hostAddress: string;
  /** Address inside the namespace. */
  nsAddress: string;
  cut(): void;
  restore(): void;
  destroy(): void;
}

/** A network namespace joined to ours by a veth pair on a private /30. */
export function createNetns(tag: string, subnet = 10): Netns {
  const name = `jrchaos_${tag}`;
  const host = `jrc${tag}h`.slice(0, 15);
  const peer = `jrc${tag}n`.slice(0, 15);
  const hostAddress = `10.231.${subnet}.1`;
  const nsAddress = `10.231.${subnet}.2`;
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Leftovers of an earlier run that was killed.
  try { ip('link', 'del', host); } catch { /* none */ }
  try { ip('netns', 'del', name); } catch { /* none */ }
  ip('netns', 'add', name);
  ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
  ip('link', 'set', peer, 'netns', name);
  ip('addr', 'add', `${hostAddress}/30`, 'dev', host);
  ip('link', 'set', host, 'up');
  ip('-n', name, 'addr', 'add', `${nsAddress}/30`, 'dev', peer);
  ip('-n', name, 'link', 'set', peer, 'up');
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return {
    name,
    hostAddress,
    nsAddress,
    // Link down on both ends: packets are dropped silently, no RST, so TCP
    // connections survive (as in a real partition) and resume on restore.
    cut: () => {
      ip('link', 'set', host, 'down');
    },
    restore: () => {
      ip('link', 'set', host, 'up');
    },
    destroy: () => {
      try { ip('link', 'del', host); } catch { /* gone */ }
      try { ip('netns', 'del', name); } catch { /* gone */ }
    },
  };
}

/** A `job-review worker` process running inside a network namespace. */
export function spawnWorkerInNetns(ns: string, databaseUrl: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<WorkerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'worker'], {
      env: cliEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', JOB_REVIEW_HEARTBEAT_INTERVAL: '0.5', ...env }),
    });
    let out = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker in ${ns} did not start; output:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/Worker (\S+) running/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, id: m[1], output: () => out, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code }) => {
      clearTimeout(timer);
      if (!/Worker (\S+) running/.test(out)) reject(new Error(`worker in ${ns} exited with ${code}; output:\n${out}`));
    });
  });
}
