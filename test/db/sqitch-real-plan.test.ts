// The real sqitch binary and our migrator agree about the project's own plan
// (sqitch/): after our migrate, sqitch sees nothing to deploy and verifies;
// sqitch revert removes all of it and our migrate restores it; a database
// deployed by `sqitch deploy` is up to date for us.
import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';
import { isMigrated, migrate, SQITCH_DIR } from '../../src/db/migrate.ts';
import { createPool } from '../../src/db/pool.ts';
import { databaseUrl } from '../helpers/db.ts';

const run = promisify(execFile);
const ADMIN = process.env.JOB_REVIEW_TEST_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENV = {
  ...process.env,
  SQITCH_FULLNAME: 'Plan Tester',
  SQITCH_EMAIL: 'tester@job-review.invalid',
  SQITCH_USER_CONFIG: '/nonexistent/user.conf',
  SQITCH_SYSTEM_CONFIG: '/nonexistent/system.conf',
};

function unavailable(): string | false {
  for (const [cmd, args, why] of [
    ['sqitch', ['--version'], 'sqitch not installed'],
    ['psql', ['--version'], 'psql not installed (sqitch runs scripts with it)'],
    ['perl', ['-MDBD::Pg', '-e', '1'], 'DBD::Pg not installed (libdbd-pg-perl)'],
  ] as const) {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return `${why}: ${r.error?.message ?? r.stderr.trim()}`;
  }
  return false;
}
const NO_SQITCH = unavailable();
if (NO_SQITCH) t.comment(`skipping: ${NO_SQITCH}`);

async function emptyDatabase(t: { teardown(fn: () => unknown): void }) {
  const name = `jrt_${process.env.JOB_REVIEW_TEST_RUN_ID ?? 'x'}_plan_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = databaseUrl(ADMIN, name);
  const pool = createPool(url, { max: 3 });
  t.teardown(async () => {
    await pool.end();
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  const u = new URL(url);
  const target = `db:pg://${u.username || 'postgres'}@${u.hostname}:${u.port || 5432}/${name}`;
  const sqitch = (...args: string[]) => run('sqitch', [...args, target], { cwd: SQITCH_DIR, env: ENV });
  return { pool, sqitch };
}

const changes = async (pool: pg.Pool) =>
  (await pool.query(`select count(*)::int n from pg_namespace where nspname in ('app', 'app_private')`)).rows[0].n;

t.test('our migrate, then sqitch status / verify / revert, then our migrate again', { skip: NO_SQITCH }, async (t) => {
  const { pool, sqitch } = await emptyDatabase(t);
  const first = await migrate(pool);
  t.ok(first.deployed.length >= 7, `deployed ${first.deployed.length} changes`);
  t.match((await sqitch('status')).stdout, /Nothing to deploy \(up-to-date\)/);
  t.match((await sqitch('verify')).stdout, /Verify successful/);
  await sqitch('revert', '-y');
  t.equal(await changes(pool), 0, 'schemas app and app_private are gone');
  t.equal((await pool.query(`select count(*)::int n from sqitch.changes`)).rows[0].n, 0, 'the registry lists nothing deployed');
  t.equal(await isMigrated(pool), false);
  const again = await migrate(pool);
  t.same(again.deployed, first.deployed, 'our migrate restores every change');
  t.match((await sqitch('status')).stdout, /Nothing to deploy/);
  t.same((await migrate(pool)).deployed, [], 'migrating twice is a no-op');
});

t.test('a database deployed by sqitch is up to date for our migrator', { skip: NO_SQITCH }, async (t) => {
  const { pool, sqitch } = await emptyDatabase(t);
  await runMigrations({ pgPool: pool, logger: new Logger(() => () => {}) });
  await sqitch('deploy');
  t.equal(await isMigrated(pool), true);
  const result = await migrate(pool);
  t.same(result.deployed, [], 'nothing to deploy');
  // and the result works: an insert is queued by the trigger sqitch deployed
  const { rows } = await pool.query(`insert into app.jobs (site, job_url, title, company) values ('s', 'u', 'T', 'C') returning id`);
  const q = await pool.query(`select key from graphile_worker.jobs`);
  t.same(q.rows, [{ key: `review:${rows[0].id}` }]);
});

t.test('two processes migrating at once', async (t) => {
  const { pool } = await emptyDatabase(t);
  const other = createPool((pool as unknown as { options: { connectionString: string } }).options.connectionString, { max: 3 });
  t.teardown(() => other.end());
  const [a, b] = await Promise.all([migrate(pool), migrate(other)]);
  t.equal(a.deployed.length + b.deployed.length, Math.max(a.deployed.length, b.deployed.length), 'one of them deployed everything, the other nothing');
  t.equal(await isMigrated(pool), true);
});
