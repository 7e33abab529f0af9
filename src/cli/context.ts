// What every command needs: settings, a logger, and (when asked) the database.
// Errors meant for the operator are CliError: one line, no stack, exit 1.
import { loadConfigOrExit, type Config } from '../config.ts';
import { openDatabase, type DatabaseHandle } from '../db/connect.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { createLogger, type Logger } from '../log.ts';

export interface GlobalArgs {
  json?: boolean;
  databaseUrl?: string;
}

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export interface CommandContext {
  config: Config;
  log: Logger;
  json: boolean;
  /** Prints a result: JSON on stdout with --json, otherwise the human text. */
  out(human: string, data: unknown): void;
}

let warnedRedis = false;

export function commandContext(args: GlobalArgs): CommandContext {
  const env = { ...process.env };
  if (args.databaseUrl !== undefined) env.DATABASE_URL = args.databaseUrl;
  const config = loadConfigOrExit(env);
  const log = createLogger(config.logLevel, { name: config.queueName });
  if (config.ignoredRedisVariables.length > 0 && !warnedRedis) {
    warnedRedis = true;
    log.warn(`${config.ignoredRedisVariables.join(', ')} ignored: this service needs no Redis (PostgreSQL is the queue)`);
  }
  const json = Boolean(args.json);
  return {
    config,
    log,
    json,
    out(human, data) {
      process.stdout.write(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
    },
  };
}

export interface Connected {
  db: DatabaseHandle;
  pool: Pool;
  close(): Promise<void>;
}

/** Opens the database (embedded when DATABASE_URL is unset) and checks that it answers. */
export async function connect(ctx: CommandContext, opts: { poolSize?: number; applicationName?: string } = {}): Promise<Connected> {
  let db: DatabaseHandle;
  try {
    db = await openDatabase(ctx.config, ctx.log);
  } catch (error) {
    throw new CliError(`Could not start the embedded PostgreSQL: ${(error as Error).message}`);
  }
  const pool = createPool(db.url, { max: opts.poolSize ?? 10, applicationName: opts.applicationName });
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    await db.stop().catch(() => {});
    throw new CliError(describeConnectionError(db.url, error));
  }
  return {
    db,
    pool,
    async close() {
      await pool.end().catch(() => {});
      await db.stop();
    },
  };
}

/** "Cannot connect to PostgreSQL at host:port: connection refused", never a stack. */
export function describeConnectionError(url: string, error: unknown): string {
  let where = 'the database';
  try {
    const u = new URL(url);
    where = `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname}`;
  } catch {
    /* keep the generic wording */
  }
  const e = error as { code?: string; message?: string };
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is PostgreSQL running there?)',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    '3D000': 'database does not exist',
    '28P01': 'password authentication failed',
    '28000': 'access denied',
    '53300': 'too many connections',
  };
  const reason = (e.code && reasons[e.code]) || e.message || String(error);
  return `Cannot connect to PostgreSQL at ${where}: ${reason}`;
}
