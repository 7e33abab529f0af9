// Prometheus metrics. Totals that the database knows (reviews, queue,
// workers) are read from it at scrape time, so any process's /metrics matches
// the database; timings and LLM usage are counted by the process that did
// the work (a worker's own /metrics, or `start`'s).
import { createServer, type Server } from 'node:http';
import client from 'prom-client';
import type { Pool } from '../db/pool.ts';
import type { ReviewProvider } from '../review/providers/provider.ts';
import { RateLimitedError } from '../review/providers/provider.ts';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'job_review_process_' });

let pool: Pool | undefined;
let workerTimeoutSeconds = 30;

/** Points the database-derived metrics at a pool (once per process). */
export function bindMetrics(p: Pool, opts: { workerTimeoutSeconds: number }): void {
  pool = p;
  workerTimeoutSeconds = opts.workerTimeoutSeconds;
}

const reviewsTotal = new client.Counter({
  name: 'job_review_reviews_total',
  help: 'Reviews stored, by outcome (recommended, not_recommended, error) and variant; read from app.job_reviews.',
  labelNames: ['outcome', 'variant'] as const,
  registers: [registry],
  async collect() {
    if (!pool) return;
    const { rows } = await pool.query<{ outcome: string; variant: string; n: number }>(
      `select case when error_message is not null then 'error' when recommend then 'recommended' else 'not_recommended' end as outcome,
              coalesce(variant, 'default') as variant, count(*)::int as n
         from app.job_reviews group by 1, 2`,
    );
    this.reset();
    for (const r of rows) this.inc({ outcome: r.outcome, variant: r.variant }, r.n);
  },
});

new client.Gauge({
  name: 'job_review_queue_jobs',
  help: 'review_job queue entries by state (waiting, running, scheduled, failed); read from graphile-worker.',
  labelNames: ['state'] as const,
  registers: [registry],
  async collect() {
    if (!pool) return;
    const { rows } = await pool.query<{ q: Record<string, number> }>('select app_private.review_queue_figures() as q');
    for (const state of ['waiting', 'running', 'scheduled', 'failed'] as const) this.set({ state }, Number(rows[0].q?.[state] ?? 0));
  },
});

new client.Gauge({
  name: 'job_review_workers',
  help: 'Worker processes with a recent heartbeat.',
  registers: [registry],
  async collect() {
    if (!pool) return;
    const { rows } = await pool.query<{ n: number }>(
      `select count(*)::int as n from app_private.workers where last_seen_at > now() - make_interval(secs => $1)`,
      [workerTimeoutSeconds],
    );
    this.set(rows[0].n);
  },
});

new client.Gauge({
  name: 'job_review_postings',
  help: 'Postings by status.',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    if (!pool) return;
    const { rows } = await pool.query<{ status: string; n: number }>('select status, count(*)::int as n from app.jobs group by status');
    this.reset();
    for (const r of rows) this.set({ status: r.status }, r.n);
  },
});

export const reviewDuration = new client.Histogram({
  name: 'job_review_review_duration_seconds',
  help: 'Time from claim to stored review in this process, by variant.',
  labelNames: ['variant'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
  registers: [registry],
});

export const reviewAttempts = new client.Counter({
  name: 'job_review_attempts_total',
  help: 'Review attempts finished in this process, by result (reviewed, retry, failed, rate_limited, handed_back, skipped, fenced).',
  labelNames: ['result'] as const,
  registers: [registry],
});

const llmCalls = new client.Counter({
  name: 'job_review_llm_calls_total',
  help: 'Calls to an LLM provider from this process, by provider and outcome (ok, error, rate_limited).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

const llmErrors = new client.Counter({
  name: 'job_review_llm_errors_total',
  help: 'Failed LLM calls from this process, by provider.',
  labelNames: ['provider'] as const,
  registers: [registry],
});

const llmTokens = new client.Counter({
  name: 'job_review_llm_tokens_total',
  help: 'LLM tokens used by this process, by provider and kind (prompt, completion).',
  labelNames: ['provider', 'kind'] as const,
  registers: [registry],
});

/** Counts the calls, errors and tokens of a provider that calls out (not the offline heuristic). */
export function instrumentProvider(provider: ReviewProvider): ReviewProvider {
  if (provider.name.startsWith('heuristic')) return provider;
  return {
    name: provider.name,
    model: provider.model,
    async assess(input, ctx) {
      try {
        const result = await provider.assess(input, ctx);
        llmCalls.inc({ provider: provider.name, outcome: 'ok' });
        if (result.usage) {
          llmTokens.inc({ provider: provider.name, kind: 'prompt' }, result.usage.promptTokens);
          llmTokens.inc({ provider: provider.name, kind: 'completion' }, result.usage.completionTokens);
        }
        return result;
      } catch (error) {
        const rateLimited = error instanceof RateLimitedError;
        llmCalls.inc({ provider: provider.name, outcome: rateLimited ? 'rate_limited' : 'error' });
        if (!rateLimited) llmErrors.inc({ provider: provider.name });
        throw error;
      }
    },
  };
}

export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** A worker that runs without the API serves /metrics on its own port. */
export function startMetricsServer(port: number, host: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      try {
        const { contentType, body } = await renderMetrics();
        res.writeHead(200, { 'content-type': contentType }).end(body);
      } catch (error) {
        res.writeHead(503, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(error as Error).message}\n`);
      }
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
