// A real API server on a loopback port 0 over the test file's own database,
// plus tokens, a GraphQL client and a seeded data set.
import { signToken } from '../../src/api/auth.ts';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import type { Pool } from '../../src/db/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { quietLog, testConfig } from '../helpers/worker.ts';

export const SECRET = 'test-secret-for-the-api-0123456789abcdef';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface ApiFixture {
  db: TestDatabase;
  api: ApiServer;
  tokens: { viewer: string; operator: string };
}

export async function startApi(t: Teardown, env: Record<string, string> = {}, db?: TestDatabase): Promise<ApiFixture> {
  // The server closes before the database goes: its LISTEN client holds a
  // pool connection that would keep pool.end() waiting.
  const later: Array<() => unknown> = [];
  const database = db ?? (await createTestDatabase({ teardown: (fn) => later.push(fn) }, { poolSize: 10 }));
  const config = testConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  const api = await startApiServer({ pool: database.pool, config, log: quietLog(), jwtSecret: SECRET });
  t.teardown(async () => {
    await api.close();
    for (const fn of later) await fn();
  });
  return {
    db: database,
    api,
    tokens: {
      viewer: await signToken({ secret: SECRET, role: 'viewer', sub: 'vera-viewer', expiresInSeconds: 3600 }),
      operator: await signToken({ secret: SECRET, role: 'operator', sub: 'olga-operator', expiresInSeconds: 3600 }),
    },
  };
}

export interface GqlResponse {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } & Record<string, any>;
}

export async function gql(api: ApiServer, token: string | undefined, query: string, variables: Record<string, unknown> = {}): Promise<GqlResponse> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body };
}

/** Fails with the errors when the response has any; returns data. */
export function dataOf(r: GqlResponse): any {
  if (r.status !== 200 || r.body.errors) throw new Error(`GraphQL failed (${r.status}): ${JSON.stringify(r.body)}`);
  return r.body.data;
}

export interface Seed {
  ids: Record<'A' | 'B' | 'C' | 'D' | 'E' | 'F', string>;
}

/**
 * Six postings:
 *   A Staff Engineer / Acme,      remote, 2026-11-20, reviewed 8.50 recommend
 *   B Senior Engineer / Beta,     onsite, 2026-11-10, reviewed 4.00 not recommended
 *   C Principal Engineer / Acme,  remote, 2026-11-25, reviewed 6.50 recommend, overridden to no
 *   D Junior Developer / Gamma,   remote unknown, no date, error (failed review)
 *   E Platform Engineer / Delta,  remote, 2026-11-28, pending_review (queued)
 *   F Staff Engineer / Acme Inc,  duplicate of A
 */
export async function seed(pool: Pool): Promise<Seed> {
  const insert = async (row: Record<string, unknown>) => {
    const cols = Object.keys(row);
    const { rows } = await pool.query(
      `insert into app.jobs (${cols.map((c) => `"${c}"`).join(', ')}) values (${cols.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
      Object.values(row),
    );
    return rows[0].id as string;
  };
  const A = await insert({ site: 'seed', job_url: 'https://seed/a', title: 'Staff Engineer', company: 'Acme', is_remote: true, date_posted: '2026-11-20', status: 'reviewed' });
  const B = await insert({ site: 'seed', job_url: 'https://seed/b', title: 'Senior Engineer', company: 'Beta', is_remote: false, date_posted: '2026-11-10', status: 'reviewed' });
  const C = await insert({ site: 'seed', job_url: 'https://seed/c', title: 'Principal Engineer', company: 'Acme', is_remote: true, date_posted: '2026-11-25', status: 'reviewed' });
  const D = await insert({ site: 'seed', job_url: 'https://seed/d', title: 'Junior Developer', company: 'Gamma', status: 'error', last_error: 'boom', review_attempts: 3 });
  const E = await insert({ site: 'seed', job_url: 'https://seed/e', title: 'Platform Engineer', company: 'Delta', is_remote: true, date_posted: '2026-11-28' });
  const F = await insert({ site: 'seed', job_url: 'https://seed/f', title: 'Staff Engineer', company: 'Acme Inc' });
  const review = (jobId: string, score: number | null, recommend: boolean | null, extra: Record<string, unknown> = {}) =>
    pool.query(
      `insert into app.job_reviews (job_id, recommend, confidence, rationale, overall_alignment_score, tldr_summary, error_message,
                                    override_recommend, override_comment, override_by, override_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        jobId,
        recommend,
        recommend === null ? null : 'high',
        recommend === null ? null : 'seeded',
        score,
        recommend === null ? null : 'seeded review',
        recommend === null ? 'boom' : null,
        extra.override_recommend ?? null,
        extra.override_comment ?? null,
        extra.override_by ?? null,
        extra.override_recommend === undefined ? null : new Date(),
      ],
    );
  await review(A, 8.5, true);
  await review(B, 4, false);
  await review(C, 6.5, true, { override_recommend: false, override_comment: 'too far', override_by: 'seed' });
  await review(D, null, null);
  return { ids: { A, B, C, D, E, F } };
}

export async function queueEntry(pool: Pool, jobId: string): Promise<{ id: string; locked_at: Date | null } | undefined> {
  const { rows } = await pool.query(`select id, locked_at from graphile_worker._private_jobs where key = $1`, [`review:${jobId}`]);
  return rows[0];
}
