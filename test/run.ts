// `npm test`: finds a PostgreSQL server (TEST_DATABASE_URL, DATABASE_URL, or
// an embedded one in a temporary directory when neither is set), builds one
// migrated template database, runs tap (test files in parallel, each cloning
// the template into its own database), cleans up, and ends with the plain
// summary line CI reads: `tests: N passed, N failed[, N skipped]`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { databaseUrl } from './helpers/db.ts';

const runId = randomBytes(3).toString('hex');
let embedded: EmbeddedPostgres | undefined;
let embeddedDir: string | undefined;

async function serverUrl(): Promise<string> {
  const given = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (given) return given;
  embeddedDir = mkdtempSync(join(tmpdir(), 'job-review-test-pg-'));
  process.stderr.write(`test: no TEST_DATABASE_URL or DATABASE_URL, starting an embedded PostgreSQL in ${embeddedDir}\n`);
  embedded = await startEmbeddedPostgres({ dataDir: join(embeddedDir, 'data'), persistent: false });
  return embedded.url;
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function buildTemplate(adminUrl: string): Promise<string> {
  const name = `jrt_${runId}_template`;
  await admin(adminUrl, (c) => c.query(`create database ${name}`));
  const pool = createPool(databaseUrl(adminUrl, name), { max: 4 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return name;
}

async function dropRunDatabases(adminUrl: string): Promise<void> {
  await admin(adminUrl, async (c) => {
    const { rows } = await c.query(`select datname from pg_database where datname like $1`, [`jrt\\_${runId}\\_%`]);
    for (const { datname } of rows) await c.query(`drop database if exists "${datname}" with (force)`);
  });
}

function runTap(env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; summary: string | undefined }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join('node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...args], {
      env,
      stdio: ['inherit', 'pipe', 'inherit'],
    });
    let summary: string | undefined;
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      const text = tail + chunk.toString('utf8');
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) if (/^# \{ total: /.test(line)) summary = line;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (/^# \{ total: /.test(tail)) summary = tail;
      resolve({ code: code ?? 1, summary });
    });
  });
}

function summaryLine(summary: string | undefined, code: number): string {
  const count = (key: string) => Number(summary?.match(new RegExp(`\\b${key}: (\\d+)`))?.[1] ?? 0);
  const passed = count('pass');
  // A crashed run that printed no summary must not look green.
  const failed = count('fail') + (summary === undefined || (code !== 0 && count('fail') === 0) ? 1 : 0);
  const skipped = count('skip') + count('todo');
  return `tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
}

let exitCode = 1;
let adminUrl: string | undefined;
try {
  adminUrl = await serverUrl();
  const template = await buildTemplate(adminUrl);
  const env = {
    ...process.env,
    JOB_REVIEW_TEST_ADMIN_URL: adminUrl,
    JOB_REVIEW_TEST_TEMPLATE: template,
    JOB_REVIEW_TEST_RUN_ID: runId,
  };
  const { code, summary } = await runTap(env, process.argv.slice(2));
  exitCode = code;
  process.stdout.write(`${summaryLine(summary, code)}\n`);
} catch (error) {
  process.stderr.write(`test: ${(error as Error).stack ?? error}\n`);
  process.stdout.write('tests: 0 passed, 1 failed\n');
} finally {
  if (adminUrl) await dropRunDatabases(adminUrl).catch((e) => process.stderr.write(`test: cleanup: ${e}\n`));
  if (embedded) await embedded.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
}
process.exit(exitCode);
