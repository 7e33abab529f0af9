// The seed's REST endpoints, with its JSON field names, answered by the same
// SQL functions as GraphQL and run as the caller's role (asCaller), so the
// grants decide here too:
//   POST /job-review/queue            {limit?, max_retries?}  -> queued_count, already_queued, total_pending
//   GET  /job-review/status/{job_id}                          -> job_review_status (404 when unknown)
//   GET  /job-review/stats                                    -> job_status_counts, review_stats, queue_info, ...
//   POST /job-review/requeue          {max_retries?, job_ids?} -> requeued_count, job_ids
//   POST /job-review/test/{job_id}                            -> the review, not stored
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Variant } from '../review/variants.ts';
import { pgSettingsFor, type Claims } from './auth.ts';
import { asCaller } from './caller.ts';
import { HttpError, readJsonBody, sendJson } from './http.ts';
import { loadPostingForTest, reviewNow } from './test-review.ts';

export interface RestDeps {
  pool: Pool;
  config: Config;
  variants: Variant[];
}

const maxRetries = z.number().int().min(1).max(100);
const queueBody = z.strictObject({ limit: z.number().int().min(1).max(10_000).default(50), max_retries: maxRetries.nullish() });
const requeueBody = z.strictObject({ max_retries: maxRetries.nullish(), job_ids: z.array(z.uuid()).min(1).max(10_000).nullish() });
const jobIdParam = z.uuid();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue.path.length ? issue.path.join('.') : 'body';
  throw new HttpError(400, 'bad_request', `${where}: ${issue.message}`);
}

function jobIdFrom(raw: string): string {
  const id = decodeURIComponent(raw);
  if (!jobIdParam.safeParse(id).success) throw new HttpError(400, 'bad_request', `job_id: "${id}" is not a UUID`);
  return id;
}

type Route = { method: string; pattern: RegExp; handle: (ctx: { req: IncomingMessage; res: ServerResponse; claims: Claims; params: string[] }) => Promise<void> };

export function restRoutes(deps: RestDeps): { matches(path: string): boolean; handle(req: IncomingMessage, res: ServerResponse, path: string, claims: Claims): Promise<void> } {
  const settings = (claims: Claims) => pgSettingsFor(claims, deps.config.api.statementTimeoutMs);
  const limit = deps.config.api.bodyLimitBytes;

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/job-review\/queue\/?$/,
      async handle({ req, res, claims }) {
        const body = parse(queueBody, await readJsonBody(req, limit));
        const row = await asCaller(deps.pool, settings(claims), async (c) => {
          const { rows } = await c.query('select * from app.queue_pending_reviews($1, $2)', [body.limit, body.max_retries ?? null]);
          return rows[0];
        });
        sendJson(res, 200, {
          status: 'ok',
          queued_count: row.queued_count,
          already_queued: row.already_queued,
          total_pending: row.total_pending,
          message: `queued ${row.queued_count} posting(s); ${row.already_queued} already queued, ${row.total_pending} pending in all`,
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/job-review\/status\/([^/]+)\/?$/,
      async handle({ res, claims, params }) {
        const jobId = jobIdFrom(params[0]);
        const status = await asCaller(deps.pool, settings(claims), async (c) => {
          const { rows } = await c.query('select app.job_review_status($1) as status', [jobId]);
          return rows[0].status;
        });
        if (status === null) throw new HttpError(404, 'not_found', `no posting has id ${jobId}`);
        sendJson(res, 200, status);
      },
    },
    {
      method: 'GET',
      pattern: /^\/job-review\/stats\/?$/,
      async handle({ res, claims }) {
        const stats = await asCaller(deps.pool, settings(claims), async (c) => (await c.query('select app.job_review_stats() as stats')).rows[0].stats);
        sendJson(res, 200, stats);
      },
    },
    {
      method: 'POST',
      pattern: /^\/job-review\/requeue\/?$/,
      async handle({ req, res, claims }) {
        const body = parse(requeueBody, await readJsonBody(req, limit));
        const ids = await asCaller(deps.pool, settings(claims), async (c) => {
          const { rows } = await c.query('select id from app.requeue_failed_reviews($1, $2::uuid[])', [body.max_retries ?? null, body.job_ids ?? null]);
          return rows.map((r) => r.id as string);
        });
        sendJson(res, 200, { status: 'ok', requeued_count: ids.length, job_ids: ids, message: `requeued ${ids.length} failed posting(s)` });
      },
    },
    {
      method: 'POST',
      pattern: /^\/job-review\/test\/([^/]+)\/?$/,
      async handle({ req, res, claims, params }) {
        const jobId = jobIdFrom(params[0]);
        await readJsonBody(req, limit); // no body expected; drained and size-checked
        const row = await asCaller(deps.pool, settings(claims), (c) => loadPostingForTest((text, values) => c.query(text, values), jobId));
        if (row === null) throw new HttpError(404, 'not_found', `no posting has id ${jobId}`);
        const ac = new AbortController();
        res.on('close', () => ac.abort(new Error('client went away')));
        const r = await reviewNow(deps, row, ac.signal);
        sendJson(res, 200, {
          job_id: r.jobId,
          recommend: r.output.final.recommend,
          confidence: r.output.final.confidence,
          rationale: r.output.final.rationale,
          overall_alignment_score: r.output.overall_alignment_score,
          tldr_summary: r.output.tldr_summary,
          reviewer: r.reviewer,
          model_used: r.model,
          provider_called: r.providerCalled,
          processing_time_ms: r.processingTimeMs,
          stored: r.stored,
          review: r.output,
        });
      },
    },
  ];

  return {
    matches: (path) => path === '/job-review' || path.startsWith('/job-review/'),
    async handle(req, res, path, claims) {
      let allowed: string[] = [];
      for (const route of routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        if (route.method !== req.method) {
          allowed.push(route.method);
          continue;
        }
        return route.handle({ req, res, claims, params: m.slice(1) });
      }
      allowed = [...new Set(allowed)];
      if (allowed.length) throw new HttpError(405, 'method_not_allowed', `use ${allowed.join(' or ')} here`, { Allow: allowed.join(', ') });
      throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
    },
  };
}
