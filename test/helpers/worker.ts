// Helpers for worker tests: settings, waiting on database state, and a
// review-write audit that counts every write to job_reviews per posting.
import { loadConfig, type Config } from '../../src/config.ts';
import type { Pool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/log.ts';

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'warn', JOB_REVIEW_HEARTBEAT_INTERVAL: '0.5', ...env }, '/nonexistent');
}

export const quietLog = () => createLogger(process.env.TEST_LOG_LEVEL ?? 'silent', { pretty: false });

/** Polls `check` until it returns a truthy value; fails after timeoutMs with the last value. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 60_000, everyMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function statusCounts(pool: Pool): Promise<Record<string, number>> {
  const { rows } = await pool.query(`select status, count(*)::int as n from app.jobs group by status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Installs a trigger that logs each insert or update of job_reviews, so tests can count writes per posting. */
export async function installReviewWriteAudit(pool: Pool): Promise<void> {
  await pool.query(`
    create table public.review_writes (job_id uuid not null, op text not null, recommend boolean, at timestamptz default clock_timestamp());
    create function public.tg_review_writes() returns trigger language plpgsql as $$
    begin
      insert into public.review_writes (job_id, op, recommend) values (new.job_id, tg_op, new.recommend);
      return new;
    end $$;
    create trigger review_writes after insert or update on app.job_reviews for each row execute function public.tg_review_writes();
  `);
}
