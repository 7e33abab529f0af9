import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';
import { cliEnv, runCli } from './helpers/cli.ts';

const empty = mkdtempSync(join(tmpdir(), 'jr-config-'));

t.test('defaults follow DESIGN 5 and 8', async (t) => {
  const c = loadConfig({}, empty);
  t.equal(c.databaseUrl, undefined, 'unset means embedded');
  t.equal(c.maxRetries, 3);
  t.equal(c.minSalary, 180000);
  t.equal(c.maxAgeDays, 21);
  t.equal(c.recommendThreshold, 5);
  t.equal(c.reviewsEnabled, true);
  t.equal(c.provider, 'heuristic');
  t.equal(c.queueName, 'job_review');
});

t.test('bad values name the variable, the value and what is allowed', async (t) => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DATABASE_URL: 'not-a-url' }, /^Invalid DATABASE_URL="not-a-url": must be a postgres:\/\//],
    [{ WORKER_CONCURRENCY: '0' }, /^Invalid WORKER_CONCURRENCY="0": must be a whole number from 1 to 1000$/],
    [{ JOB_REVIEW_MAX_RETRIES: '-1' }, /^Invalid JOB_REVIEW_MAX_RETRIES="-1": must be a whole number from 1/],
    [{ JOB_REVIEW_ENABLED: 'maybe' }, /^Invalid JOB_REVIEW_ENABLED="maybe": must be true or false/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL="loud": must be one of fatal, error/],
    [{ JOB_REVIEW_RECOMMEND_THRESHOLD: '11' }, /^Invalid JOB_REVIEW_RECOMMEND_THRESHOLD="11": must be a number from 0 to 10$/],
    [{ JOB_REVIEW_PROVIDER: 'magic' }, /^Invalid JOB_REVIEW_PROVIDER="magic": must be one of heuristic, openai$/],
  ];
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env, empty), { name: 'ConfigError', message }, Object.keys(env)[0]);
  }
  t.ok(new ConfigError('x') instanceof Error);
});

t.test('a .env file is read and real environment variables win', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jr-dotenv-'));
  writeFileSync(join(dir, '.env'), 'WORKER_CONCURRENCY=7\nJOB_REVIEW_MIN_SALARY=90000\n');
  t.equal(loadConfig({}, dir).concurrency, 7);
  t.equal(loadConfig({}, dir).minSalary, 90000);
  t.equal(loadConfig({ WORKER_CONCURRENCY: '3' }, dir).concurrency, 3);
});

t.test('the seed REDIS_* variables are accepted and reported as ignored', async (t) => {
  const c = loadConfig({ REDIS_HOST: 'localhost', REDIS_PORT: '6379' }, empty);
  t.same(c.ignoredRedisVariables, ['REDIS_HOST', 'REDIS_PORT']);
});

t.test('the binary exits 2 with one line naming the variable', async (t) => {
  for (const [name, value] of [
    ['DATABASE_URL', 'not-a-url'],
    ['WORKER_CONCURRENCY', '0'],
    ['JOB_REVIEW_MAX_RETRIES', '-1'],
  ]) {
    const r = await runCli(['migrate'], { env: cliEnv({ [name]: value }), cwd: empty });
    t.equal(r.code, 2, `${name} exit code`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `${name}: one line`);
    t.match(lines[0], new RegExp(`^job-review: Invalid ${name}="${value}": `));
  }
});

t.test('usage errors exit 2', async (t) => {
  const unknown = await runCli(['migrate', '--no-such-flag'], { cwd: empty });
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /Unknown argument/);
  const none = await runCli([], { cwd: empty });
  t.equal(none.code, 2);
});
