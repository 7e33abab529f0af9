// One migrate for every entry point: graphile-worker's own migrations, then
// our sqitch plan through the sqitch-compatible deployer (so the real
// `sqitch` command agrees about what is deployed).
import { fileURLToPath } from 'node:url';
import { Logger, runMigrations } from 'graphile-worker';
import type { Pool } from './pool.ts';
import { deployPlan, planStatus } from './sqitch.ts';

export const SQITCH_DIR = fileURLToPath(new URL('../../sqitch', import.meta.url));

// Held for the whole migration so that two processes migrating at once run
// one after the other; the second then finds nothing to do.
const MIGRATE_LOCK_KEY = 7_349_112_001;

export interface MigrateResult {
  deployed: string[];
  alreadyDeployed: number;
}

export async function migrate(pool: Pool, opts: { log?: (msg: string) => void } = {}): Promise<MigrateResult> {
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATE_LOCK_KEY]);
    try {
      await runMigrations({ pgPool: pool, logger: quietLogger() });
      return await deployPlan(client, { dir: SQITCH_DIR, log: opts.log });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATE_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** True when graphile-worker's schema exists and no sqitch change is pending. */
export async function isMigrated(pool: Pool): Promise<boolean> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query(`select to_regclass('graphile_worker.migrations') is not null as ok`);
    if (!rows[0].ok) return false;
    const status = await planStatus(client, SQITCH_DIR);
    return status.pending.length === 0;
  } finally {
    client.release();
  }
}

// graphile-worker logs every migration at info level; ours says what matters.
function quietLogger() {
  return new Logger(() => () => {});
}
