// `npm run bench [-- --quick]`: each scenario measures its own baseline in
// the same run and prints the ratio, so figures hold on a noisy machine.
// Writes bench-results.json. Uses TEST_DATABASE_URL / DATABASE_URL, or an
// embedded PostgreSQL in a temporary directory.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPool, type Pool } from '../../src/db/pool.ts';
import { databaseUrl } from '../helpers/db.ts';
import { runToEnd, startProc, type Proc } from './procs.ts';
import { summary } from './stats.ts';

const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const N = {
  throughput: quick ? 2_000 : 20_000,
  insert: quick ? 10_000 : 100_000,
  importRows: quick ? 10_000 : 100_000,
  latency: quick ? 100 : 1_000,
  readScale: quick ? 20_000 : 1_000_000,
};
const CONCURRENCY = 24;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'src/cli/bin.ts');

interface Row {
  scenario: string;
  metric: string;
  unit: string;
  value: number;
  baseline: number;
  baselineLabel: string;
  ratio: number;
  goal: string;
  n: number;
  settings: Record<string, unknown>;
}
const rows: Row[] = [];
function record(r: Omit<Row, 'ratio'> & { ratio?: number }) {
  const row = { ...r, ratio: r.ratio ?? r.value / r.baseline };
  rows.push(row);
  process.stderr.write(`  ${row.scenario} / ${row.metric}: ${fmt(row.value)} ${row.unit} (baseline ${fmt(row.baseline)}, ratio ${row.ratio.toFixed(2)}; goal ${row.goal})\n`);
}
const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));

// ---------------------------------------------------------------------------
// Databases

let embedded: EmbeddedPostgres | undefined;
let embeddedDir: string | undefined;
async function server(): Promise<string> {
  const given = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (given) return given;
  embeddedDir = mkdtempSync(join(tmpdir(), 'job-review-bench-'));
  embedded = await startEmbeddedPostgres({ dataDir: join(embeddedDir, 'data'), persistent: false });
  return embedded.url;
}
const adminUrl = await server();
const runId = randomBytes(3).toString('hex');
const created: string[] = [];

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let template: string | undefined;
async function freshDatabase(): Promise<{ url: string; pool: Pool }> {
  if (!template) {
    template = `jrb_${runId}_template`;
    await admin(`create database ${template}`);
    created.push(template);
    const p = createPool(databaseUrl(adminUrl, template), { max: 2 });
    await migrate(p);
    await p.end();
  }
  const name = `jrb_${runId}_${randomBytes(3).toString('hex')}`;
  await admin(`create database ${name} template ${template}`);
  created.push(name);
  const url = databaseUrl(adminUrl, name);
  return { url, pool: createPool(url, { max: 8 }) };
}

// ---------------------------------------------------------------------------
// Data

const WORDS =
  'platform data infrastructure distributed systems database reliability remote async mentor architecture team product customers growth equity bonus healthcare benefits flexible hours ownership impact senior staff engineering culture transparency learning scale latency throughput kubernetes postgres typescript observability on-call roadmap'.split(' ');
function description(i: number): string {
  // 1-5 KB of markdown, deterministic per i.
  let seed = (i * 2654435761) >>> 0;
  const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const target = 1000 + Math.floor(rand() * 4000);
  let out = `## About the role\n\n`;
  while (out.length < target) {
    const n = 8 + Math.floor(rand() * 12);
    const sentence = Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
    out += `${sentence[0].toUpperCase()}${sentence.slice(1)}. `;
    if (rand() < 0.15) out += `\n\n- ${WORDS[Math.floor(rand() * WORDS.length)]}\n\n`;
  }
  return out;
}

async function insertPostings(pool: Pool, n: number, prefix: string) {
  for (let start = 0; start < n; start += 2000) {
    const batch = Array.from({ length: Math.min(2000, n - start) }, (_, k) => {
      const i = start + k;
      return {
        site: 'bench',
        job_url: `https://bench.example/${prefix}/${i}`,
        title: `${['Senior', 'Staff', 'Principal', 'Junior', ''][i % 5]} Engineer ${i}`.trim(),
        company: `Company ${prefix} ${i}`,
        is_remote: i % 2 === 0,
        interval: 'yearly',
        min_amount: 150_000 + (i % 7) * 10_000,
        max_amount: 190_000 + (i % 7) * 10_000,
        currency: 'USD',
        description: description(i),
      };
    });
    await pool.query(
      `insert into app.jobs (site, job_url, title, company, is_remote, "interval", min_amount, max_amount, currency, description)
       select * from jsonb_to_recordset($1::jsonb) as p(site text, job_url text, title text, company text, is_remote boolean,
         "interval" text, min_amount numeric, max_amount numeric, currency text, description text)`,
      [JSON.stringify(batch)],
    );
  }
}

const count = async (pool: Pool, sql: string) => Number((await pool.query(sql)).rows[0].n);
async function until(pool: Pool, sql: string, target: number, timeoutMs = 600_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await count(pool, sql)) === target) return performance.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${sql} = ${target}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const workerEnv = (url: string) => ({ PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: url, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: String(CONCURRENCY) });

// ---------------------------------------------------------------------------
// Scenario 1 and 5: review throughput and worker memory

async function noopThroughput(n: number): Promise<{ perSecond: number; peakRssMb: number }> {
  const { url, pool } = await freshDatabase();
  await pool.query(`select graphile_worker.add_jobs(array(select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec from generate_series(1, $1)))`, [n]);
  const proc = await startProc([join(ROOT, 'test/bench/noop-worker.ts'), url, String(CONCURRENCY)], workerEnv(url), /ready/);
  const t0 = performance.now();
  const t1 = await until(pool, `select count(*) n from graphile_worker._private_jobs`, 0);
  await proc.stop();
  await pool.end();
  return { perSecond: n / ((t1 - t0) / 1000), peakRssMb: proc.peakRssMb() };
}

async function reviewThroughput(n: number, processes: number): Promise<{ perSecond: number; peakRssMb: number }> {
  const { url, pool } = await freshDatabase();
  await insertPostings(pool, n, 'tp');
  const procs: Proc[] = await Promise.all(
    Array.from({ length: processes }, () => startProc([BIN, 'worker', '--concurrency', String(CONCURRENCY)], workerEnv(url), /Worker \S+ running/)),
  );
  const t0 = performance.now();
  const t1 = await until(pool, `select count(*) n from app.jobs where status = 'reviewed'`, n);
  await Promise.all(procs.map((p) => p.stop()));
  const reviews = await count(pool, `select count(*) n from app.job_reviews`);
  if (reviews !== n) throw new Error(`expected ${n} reviews, found ${reviews}`);
  await pool.end();
  return { perSecond: n / ((t1 - t0) / 1000), peakRssMb: Math.max(...procs.map((p) => p.peakRssMb())) };
}

async function scenario1() {
  const n = N.throughput;
  process.stderr.write(`scenario 1: review throughput, ${n} postings, concurrency ${CONCURRENCY}\n`);
  const noop = await noopThroughput(n);
  const one = await reviewThroughput(n, 1);
  const settings = { concurrency: CONCURRENCY, localQueue: CONCURRENCY, completeJobBatchDelay: 0, provider: 'heuristic', descriptionBytes: '1000-5000' };
  record({ scenario: '1 review throughput', metric: '1 worker process', unit: 'reviews/s', value: one.perSecond, baseline: noop.perSecond, baselineLabel: 'graphile-worker no-op jobs/s, same preset', goal: 'ratio >= 0.5', n, settings });
  const two = await reviewThroughput(n, 2);
  record({ scenario: '1 review throughput', metric: '2 worker processes', unit: 'reviews/s', value: two.perSecond, baseline: noop.perSecond, baselineLabel: 'graphile-worker no-op jobs/s (1 process)', goal: 'ratio >= 0.5', n, settings: { ...settings, processes: 2 } });
  record({ scenario: '5 memory', metric: 'worker peak RSS during scenario 1', unit: 'MB', value: one.peakRssMb, baseline: noop.peakRssMb, baselineLabel: 'no-op worker peak RSS', goal: 'value < 200 MB', n, settings });
}

// ---------------------------------------------------------------------------
// Scenario 2: insert with the enqueue trigger on vs off; import

async function timedInsert(enqueue: boolean, n: number): Promise<number> {
  const { pool } = await freshDatabase();
  if (!enqueue) await pool.query(`alter table app.jobs disable trigger _500_enqueue_inserted`);
  const desc = description(1).slice(0, 2000);
  const t0 = performance.now();
  await pool.query(
    `insert into app.jobs (site, job_url, title, company, description)
     select 'bench', 'https://bench.example/ins/' || i, 'Engineer ' || i, 'Company ' || i, $2 from generate_series(1, $1) i`,
    [n, desc],
  );
  const ms = performance.now() - t0;
  const queued = await count(pool, `select count(*) n from graphile_worker._private_jobs`);
  if (queued !== (enqueue ? n : 0)) throw new Error(`expected ${enqueue ? n : 0} queue entries, found ${queued}`);
  await pool.end();
  return n / (ms / 1000);
}

async function scenario2() {
  const n = N.insert;
  process.stderr.write(`scenario 2: ${n} rows inserted in one statement, enqueue trigger on vs off\n`);
  // Alternate to spread the machine's noise over both.
  const off1 = await timedInsert(false, n);
  const on1 = await timedInsert(true, n);
  const off2 = await timedInsert(false, n);
  const on2 = await timedInsert(true, n);
  record({ scenario: '2 insert + enqueue', metric: 'rows/s, trigger on', unit: 'rows/s', value: Math.max(on1, on2), baseline: Math.max(off1, off2), baselineLabel: 'same insert, trigger off', goal: 'ratio >= 0.6', n, settings: { statement: 'one INSERT ... SELECT', best: 'of 2' } });

  const rowsN = N.importRows;
  const dir = mkdtempSync(join(tmpdir(), 'jr-bench-import-'));
  const file = join(dir, 'jobs.ndjson');
  const lines: string[] = [];
  for (let i = 0; i < rowsN; i++) {
    lines.push(JSON.stringify({ site: 'import', job_url: `https://import.example/${i}`, title: `Engineer ${i}`, company: `Company ${i}`, description: description(i).slice(0, 1500), min_amount: 150000, max_amount: 200000, interval: 'yearly', currency: 'USD', is_remote: i % 2 === 0 }));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  const { url, pool } = await freshDatabase();
  const result = await runToEnd([BIN, 'import', file, '--json'], { ...workerEnv(url) });
  const inserted = await count(pool, `select count(*) n from app.jobs`);
  await pool.end();
  rmSync(dir, { recursive: true, force: true });
  if (result.code !== 0) {
    process.stderr.write(`  import failed (exit ${result.code}): ${result.stderr.slice(0, 400)}\n`);
    return;
  }
  const node = await runToEnd(['-e', 'setTimeout(() => {}, 500)'], {});
  record({ scenario: '2 import', metric: 'job-review import NDJSON', unit: 'rows/s', value: inserted / (result.ms / 1000), baseline: Math.max(off1, off2), baselineLabel: 'single-statement insert rows/s (trigger off)', goal: 'report', n: rowsN, settings: { format: 'ndjson' } });
  record({ scenario: '2 import', metric: 'import peak RSS', unit: 'MB', value: result.peakRssMb, baseline: node.peakRssMb, baselineLabel: 'bare node process peak RSS', goal: 'value < 200 MB', n: rowsN, settings: { format: 'ndjson' } });
}

// ---------------------------------------------------------------------------
// Scenario 3: latency, one posting at a time into an idle worker

async function scenario3() {
  const n = N.latency;
  process.stderr.write(`scenario 3: latency, ${n} single inserts into an idle worker\n`);
  const noop = await (async () => {
    const { url, pool } = await freshDatabase();
    const proc = await startProc([join(ROOT, 'test/bench/noop-worker.ts'), url, String(CONCURRENCY)], workerEnv(url), /ready/);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const { rows } = await pool.query(`select id from graphile_worker.add_job('noop', '{}'::json)`);
      // Polled every 1 ms, exactly like the review loop below.
      while ((await pool.query(`select 1 from graphile_worker._private_jobs where id = $1`, [rows[0].id])).rowCount) {
        await new Promise((res) => setTimeout(res, 1));
      }
      samples.push(performance.now() - t0);
    }
    await proc.stop();
    await pool.end();
    return summary(samples);
  })();
  const { url, pool } = await freshDatabase();
  const proc = await startProc([BIN, 'worker', '--concurrency', String(CONCURRENCY)], workerEnv(url), /Worker \S+ running/);
  const client: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const { rows } = await pool.query(
      `insert into app.jobs (site, job_url, title, company, description) values ('lat', $1, 'Senior Engineer', $2, $3) returning id`,
      [`https://lat.example/${i}`, `Latency Co ${i}`, description(i)],
    );
    for (;;) {
      const r = await pool.query(`select 1 from app.job_reviews where job_id = $1`, [rows[0].id]);
      if (r.rowCount) break;
      await new Promise((res) => setTimeout(res, 1));
    }
    client.push(performance.now() - t0);
  }
  // Server-side: from the insert's commit-time clock to the review start (reviewed_at - processing time) and to stored.
  const server = await pool.query(
    `select extract(epoch from (r.reviewed_at - j.ingested_at)) * 1000 - r.processing_time_ms as to_start_ms,
            extract(epoch from (r.reviewed_at - j.ingested_at)) * 1000 as to_stored_ms
       from app.job_reviews r join app.jobs j on j.id = r.job_id`,
  );
  await proc.stop();
  await pool.end();
  const start = summary(server.rows.map((r) => Number(r.to_start_ms)));
  const stored = summary(server.rows.map((r) => Number(r.to_stored_ms)));
  const seen = summary(client);
  const settings = { concurrency: CONCURRENCY, clientPoll: '1 ms' };
  for (const p of ['p50', 'p95', 'p99'] as const) {
    record({ scenario: '3 latency', metric: `to review start ${p}`, unit: 'ms', value: start[p], baseline: noop[p], baselineLabel: `no-op job add -> done ${p} (client-observed)`, goal: p === 'p50' ? '< 10 ms' : p === 'p99' ? '< 50 ms' : 'report', n, settings });
  }
  for (const p of ['p50', 'p95', 'p99'] as const) {
    record({ scenario: '3 latency', metric: `to review stored ${p}`, unit: 'ms', value: stored[p], baseline: noop[p], baselineLabel: `no-op job add -> done ${p} (client-observed)`, goal: 'report', n, settings });
  }
  record({ scenario: '3 latency', metric: 'insert -> review visible p50 (client-observed)', unit: 'ms', value: seen.p50, baseline: noop.p50, baselineLabel: 'no-op job add -> done p50 (client-observed)', goal: 'report', n, settings });
}

// ---------------------------------------------------------------------------
// Scenario 4: read paths at scale

async function seedReviewed(pool: Pool, n: number) {
  await pool.query(`alter table app.jobs disable trigger _500_enqueue_inserted`);
  for (let start = 0; start < n; start += 100_000) {
    const size = Math.min(100_000, n - start);
    await pool.query(
      `insert into app.jobs (site, job_url, title, company, status, is_remote, date_posted, description)
       select 'scale', 'https://scale.example/' || i, 'Engineer ' || i, 'Company ' || (i % 5000),
              (array['reviewed','reviewed','reviewed','reviewed','pending_review','error','archived'])[1 + i % 7],
              i % 2 = 0, date '2026-01-01' + (i % 300), 'Short description ' || i
         from generate_series($1::int, $2::int) i`,
      [start + 1, start + size],
    );
  }
  await pool.query(
    // Reviews accumulated over the past 300 days, as a real database holds them (not all in the last hour).
    `insert into app.job_reviews (job_id, reviewed_at, recommend, confidence, rationale, overall_alignment_score, tldr_summary, override_recommend, override_at, error_message)
     select id, now() - make_interval(mins => abs(hashtext(id::text)) % (300 * 24 * 60)), case when status = 'error' then null else (abs(hashtext(id::text)) % 10) >= 5 end,
            'medium', 'seeded', case when status = 'error' then null else (abs(hashtext(id::text)) % 1000) / 100.0 end, 'seeded',
            case when abs(hashtext(id::text)) % 20 = 0 then true end, case when abs(hashtext(id::text)) % 20 = 0 then now() end,
            case when status = 'error' then 'seeded failure' end
       from app.jobs where status in ('reviewed', 'error', 'archived')`,
  );
  await pool.query('analyze');
}

const INBOX = `select j.id, j.title, j.company, r.overall_alignment_score
  from app.job_reviews r join app.jobs j on j.id = r.job_id
 where r.override_recommend is null and r.recommend is not null and j.status <> 'duplicate'
 order by r.overall_alignment_score desc, r.job_id limit 20`;

async function timeQuery(pool: Pool, sql: string, times: number): Promise<ReturnType<typeof summary>> {
  const samples: number[] = [];
  await pool.query(sql);
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await pool.query(sql);
    samples.push(performance.now() - t0);
  }
  return summary(samples);
}

async function scenario4() {
  const n = N.readScale;
  process.stderr.write(`scenario 4: read paths at ${n} postings (baseline: the same at ${n / 100})\n`);
  const small = await freshDatabase();
  await seedReviewed(small.pool, n / 100);
  const big = await freshDatabase();
  await seedReviewed(big.pool, n);
  const page = async (pool: Pool) => {
    const { startApiServer } = await import('../../src/api/server.ts');
    const { signToken } = await import('../../src/api/auth.ts');
    const { loadConfig } = await import('../../src/config.ts');
    const { createLogger } = await import('../../src/log.ts');
    const secret = randomBytes(24).toString('hex');
    const api = await startApiServer({ pool, config: loadConfig({ PORT: '0', LOG_LEVEL: 'error' }, '/nonexistent'), log: createLogger('error', { pretty: false }), jwtSecret: secret });
    const token = await signToken({ secret, role: 'viewer', sub: 'bench', expiresInSeconds: 3600 });
    const query = `{ jobs(first: 20, orderBy: DATE_POSTED_DESC, filter: { status: { equalTo: "reviewed" }, isRemote: { equalTo: true } }) { nodes { rowId title company datePosted jobReview { overallAlignmentScore finalRecommend } } } }`;
    const once = async () => {
      const r = await fetch(`${api.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
      const body = (await r.json()) as { errors?: unknown[]; data?: { jobs: { nodes: unknown[] } } };
      if (body.errors || body.data?.jobs.nodes.length !== 20) throw new Error(`GraphQL page failed: ${JSON.stringify(body).slice(0, 300)}`);
    };
    await once();
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await once();
      samples.push(performance.now() - t0);
    }
    await api.close();
    return summary(samples);
  };
  {
    const base = await page(small.pool);
    const at = await page(big.pool);
    for (const p of ['p50', 'p95'] as const) {
      record({ scenario: '4 read paths', metric: `GraphQL filtered page (20, HTTP) ${p}`, unit: 'ms', value: at[p], baseline: base[p], baselineLabel: `same request at ${n / 100} rows`, goal: 'report', n, settings: { samples: 30, filter: 'status reviewed, remote', orderBy: 'DATE_POSTED_DESC' } });
    }
  }
  for (const [metric, sql] of [
    ['app.job_review_stats()', 'select app.job_review_stats()'],
    ['inbox first page (20)', INBOX],
  ] as const) {
    const base = await timeQuery(small.pool, sql, 30);
    const at = await timeQuery(big.pool, sql, 30);
    for (const p of ['p50', 'p95'] as const) {
      record({ scenario: '4 read paths', metric: `${metric} ${p}`, unit: 'ms', value: at[p], baseline: base[p], baselineLabel: `same query at ${n / 100} rows`, goal: p === 'p95' ? '< 50 ms' : 'report', n, settings: { samples: 30 } });
    }
  }
  await small.pool.end();
  await big.pool.end();
}

// ---------------------------------------------------------------------------

const scenarios: [string, () => Promise<void>][] = [
  ['1', scenario1],
  ['2', scenario2],
  ['3', scenario3],
  ['4', scenario4],
];
let failed = false;
try {
  for (const [id, fn] of scenarios) {
    if (only && !only.includes(id)) continue;
    try {
      await fn();
    } catch (error) {
      failed = true;
      process.stderr.write(`scenario ${id} failed: ${(error as Error).stack}\n`);
    }
  }
} finally {
  for (const name of created.reverse()) await admin(`drop database if exists ${name} with (force)`).catch(() => {});
  if (embedded) await embedded.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
}

const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: embedded ? 'embedded 18' : 'external' };
writeFileSync(join(ROOT, 'bench-results.json'), `${JSON.stringify({ mode: quick ? 'quick' : 'full', at: new Date().toISOString(), machine, results: rows }, null, 2)}\n`);
const header = ['scenario', 'metric', 'value', 'baseline', 'ratio', 'goal', 'N'];
const table = rows.map((r) => [r.scenario, r.metric, `${fmt(r.value)} ${r.unit}`, fmt(r.baseline), r.ratio.toFixed(2), r.goal, String(r.n)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n')}\n`);
process.stdout.write(`machine: ${JSON.stringify(machine)}\nwritten: bench-results.json\n`);
process.exit(failed ? 1 : 0);
