// The README's run command on the embedded default: starts PostgreSQL 18,
// migrates, runs a worker that reviews what lands in the database, reuses its
// data when run again, and stops PostgreSQL cleanly on Ctrl-C.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cliEnv, startCli } from '../helpers/cli.ts';
import { waitFor } from '../helpers/worker.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jr-start-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const env = cliEnv({ JOB_REVIEW_DATA_DIR: dataDir, LOG_LEVEL: 'info', JOB_REVIEW_HEARTBEAT_INTERVAL: '1', PORT: '0' });

function databaseFrom(output: string): string {
  const m = output.match(/ready at (postgres:\/\/\S+)/);
  if (!m) throw new Error(`no database URL in the output:\n${output}`);
  return m[1];
}

function postmasterRunning(): boolean {
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

t.test('first run: starts PostgreSQL, migrates, reviews a posting; Ctrl-C stops it cleanly', async (t) => {
  const run = await startCli(['start'], { env, ready: /Press Ctrl-C to stop/ });
  const url = databaseFrom(run.output());
  t.match(run.output(), /PostgreSQL \(embedded\) ready at postgres:\/\/postgres@127\.0\.0\.1:\d+\/job_review/);
  t.match(run.output(), /Review worker .* running/);
  const api = run.output().match(/API at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  t.ok(api, 'the API URL is printed');
  t.equal((await fetch(`${api}/healthz`)).status, 200, 'the API answers');
  const open = run.output().match(/Open: (http:\/\/\S+#token=\S+)/)?.[1];
  t.ok(open, 'a ready-to-open URL with an operator token is printed');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const version = (await client.query('show server_version_num')).rows[0].server_version_num;
  t.ok(Number(version) >= 180000, `embedded PostgreSQL is 18 (${version})`);
  const { rows: [job] } = await client.query(
    `insert into app.jobs (site, job_url, title, company, is_remote) values ('smoke', 'https://smoke/1', 'Senior Engineer', 'Smoke Co', true) returning id`,
  );
  const review = await waitFor('the review', async () =>
    (await client.query(`select r.recommend, j.status from app.job_reviews r join app.jobs j on j.id = r.job_id where j.id = $1`, [job.id])).rows[0],
  );
  t.equal(review.status, 'reviewed');
  await client.end();
  t.ok(postmasterRunning(), 'PostgreSQL runs while the service runs');
  run.child.kill('SIGINT');
  const exit = await run.exited;
  t.equal(exit.code, 0, 'exit code 0 after Ctrl-C');
  t.notOk(postmasterRunning(), 'PostgreSQL stopped');
});

t.test('second run reuses the data', async (t) => {
  const run = await startCli(['start'], { env, ready: /Press Ctrl-C to stop/ });
  const client = new pg.Client({ connectionString: databaseFrom(run.output()) });
  await client.connect();
  const { rows } = await client.query(`select j.status from app.jobs j where j.job_url = 'https://smoke/1'`);
  t.same(rows, [{ status: 'reviewed' }], 'the posting and its review are still there');
  t.match(run.output(), /migrations: up to date/);
  await client.end();
  run.child.kill('SIGTERM');
  t.equal((await run.exited).code, 0);
  t.notOk(postmasterRunning());
});
