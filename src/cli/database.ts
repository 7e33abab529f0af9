// Shared by the commands that read or steer the database: connect, check
// that the schema is there, run, close. Argument checks shared by them too.
import { isMigrated } from '../db/migrate.ts';
import type { Pool } from '../db/pool.ts';
import { CliError, connect, type CommandContext } from './context.ts';

export async function withDatabase<T>(
  ctx: CommandContext,
  fn: (pool: Pool) => Promise<T>,
  opts: { poolSize?: number; applicationName?: string } = {},
): Promise<T> {
  const conn = await connect(ctx, { poolSize: opts.poolSize ?? 4, applicationName: opts.applicationName ?? 'job-review cli' });
  try {
    if (!(await isMigrated(conn.pool))) throw new CliError("The database is not migrated: run 'job-review migrate' first");
    return await fn(conn.pool);
  } finally {
    await conn.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** For yargs .check(): a usage error (exit 2) naming the argument when a value is not a UUID. */
export function checkUuid(name: string, value: unknown): void {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  for (const v of values) {
    if (typeof v !== 'string' || !UUID.test(v)) throw new Error(`${name} must be a UUID (got ${JSON.stringify(String(v))})`);
  }
}

/** For yargs .check(): a whole number within bounds. */
export function checkInt(name: string, value: unknown, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  }
}
