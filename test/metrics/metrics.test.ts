// /metrics of a worker process: valid Prometheus text whose counters match the database.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { freePort } from '../helpers/receiver.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker, stopWorker } from '../worker/processes.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict parser of the Prometheus text format (0.0.4): fails on any line it does not understand. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    let m = line.match(/^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/);
    if (m) {
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`line ${i + 1}: bad type ${m[3]}`);
        types.set(m[2], m[3]);
      }
      continue;
    }
    m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( [0-9]+)?$/);
    if (!m) throw new Error(`line ${i + 1} is not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const pair of m[3].match(/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"/g) ?? []) {
        const eq = pair.indexOf('=');
        labels[pair.slice(0, eq)] = pair.slice(eq + 2, -1);
      }
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return { samples, types };
}

t.test('worker /metrics after a run', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const port = await freePort();
  const worker = await spawnWorker(url, { METRICS_PORT: String(port) });
  t.teardown(() => stopWorker(worker));
  await insertPostings(pool, fixturePostings(30, 'metrics'));
  await waitFor('30 reviewed', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 30);

  const response = await waitFor('metrics served', async () => fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined));
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const { samples, types } = parsePrometheus(await response.text());
  t.equal(types.get('job_review_reviews_total'), 'counter');
  t.equal(types.get('job_review_review_duration_seconds'), 'histogram');
  t.equal(types.get('job_review_queue_jobs'), 'gauge');
  t.equal(types.get('job_review_workers'), 'gauge');
  t.ok(types.has('job_review_llm_calls_total') && types.has('job_review_llm_tokens_total') && types.has('job_review_llm_errors_total'));

  const db = await pool.query(
    `select case when error_message is not null then 'error' when recommend then 'recommended' else 'not_recommended' end as outcome, count(*)::int n
       from app.job_reviews group by 1`,
  );
  const reviews = samples.filter((s) => s.name === 'job_review_reviews_total');
  for (const r of db.rows) {
    const total = reviews.filter((s) => s.labels.outcome === r.outcome).reduce((a, s) => a + s.value, 0);
    t.equal(total, r.n, `reviews_total{outcome="${r.outcome}"} equals the database`);
  }
  t.equal(reviews.reduce((a, s) => a + s.value, 0), 30);
  const durationCount = samples.find((s) => s.name === 'job_review_review_duration_seconds_count' && s.labels.variant === 'default');
  t.equal(durationCount?.value, 30, 'this worker timed its 30 reviews');
  t.equal(samples.find((s) => s.name === 'job_review_workers')?.value, 1);
  const queue = (await pool.query(`select app_private.review_queue_figures() q`)).rows[0].q;
  for (const state of ['waiting', 'running', 'scheduled', 'failed']) {
    t.equal(samples.find((s) => s.name === 'job_review_queue_jobs' && s.labels.state === state)?.value, queue[state], `queue_jobs{state="${state}"}`);
  }
  t.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
});

t.test('the API serves /metrics to a token holder, and nothing to anonymous callers', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { startApiServer } = await import('../../src/api/server.ts');
  const { signToken } = await import('../../src/api/auth.ts');
  const { testConfig, quietLog } = await import('../helpers/worker.ts');
  const secret = 'metrics-test-secret-0123456789abcdef';
  const api = await startApiServer({ pool, config: testConfig({ PORT: '0' }), log: quietLog(), jwtSecret: secret });
  t.teardown(() => api.close());
  await pool.query(`insert into app.jobs (site, job_url, title, company, status) values ('m', '1', 'T', 'C', 'reviewed')`);
  await pool.query(`insert into app.job_reviews (job_id, recommend) select id, true from app.jobs`);
  t.equal((await fetch(`${api.url}/metrics`)).status, 401, 'anonymous: refused');
  const token = await signToken({ secret, role: 'viewer', sub: 'prometheus', expiresInSeconds: 3600 });
  const response = await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(response.status, 200);
  const { samples } = parsePrometheus(await response.text());
  t.equal(samples.find((s) => s.name === 'job_review_reviews_total' && s.labels.outcome === 'recommended')?.value, 1, 'reviews_total matches the database');
  t.equal(samples.find((s) => s.name === 'job_review_postings' && s.labels.status === 'reviewed')?.value, 1);
});
