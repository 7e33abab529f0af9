// Each test file gets its own database, cloned from the migrated template
// that test/run.ts builds once per run, and dropped when the test ends.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from '../../src/db/pool.ts';

export interface TestDatabase {
  name: string;
  url: string;
  pool: Pool;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** The same server URL pointing at another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

function harness() {
  const adminUrl = process.env.JOB_REVIEW_TEST_ADMIN_URL;
  const template = process.env.JOB_REVIEW_TEST_TEMPLATE;
  const runId = process.env.JOB_REVIEW_TEST_RUN_ID;
  if (!adminUrl || !template || !runId) {
    throw new Error('No test database server: run tests through `npm test` (e.g. `npm test -- test/db/enqueue.test.ts`), which prepares one.');
  }
  return { adminUrl, template, runId };
}

export async function createTestDatabase(t: Teardown, opts: { poolSize?: number } = {}): Promise<TestDatabase> {
  const { adminUrl, template, runId } = harness();
  const name = `jrt_${runId}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // Concurrent clones of one template can briefly collide ("source database
    // is being accessed by other users"); try again.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.query(`create database ${name} template ${template}`);
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(adminUrl, name);
  const pool = createPool(url, { max: opts.poolSize ?? 5, applicationName: 'job-review-test' });
  t.teardown(async () => {
    await pool.end();
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`drop database if exists ${name} with (force)`);
    await c.end();
  });
  return { name, url, pool };
}
