// Prints the API's GraphQL schema (SDL) as a migrated database makes it, for
// the committed schema.graphql. `node src/api/print-schema.ts` writes it;
// `--check` exits 1 when the committed file differs. It migrates a scratch
// database of its own (on DATABASE_URL's server, or the embedded one) and
// drops it afterwards, so the output depends on the plan alone.
import './graphile-env.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeSchema } from 'postgraphile';
import { lexicographicSortSchema, printSchema } from 'postgraphile/graphql';
import pg from 'pg';
import { loadConfigOrExit, type Config } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { migrate } from '../db/migrate.ts';
import { createPool, type Pool } from '../db/pool.ts';
import { createLogger, type Logger } from '../log.ts';
import { createHeuristicProvider } from '../review/providers/heuristic.ts';
import { createVariants } from '../review/variants.ts';
import { makePreset } from './preset.ts';

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

/** The SDL of the API over a migrated database, sorted so that diffs are stable. */
export async function apiSchemaSDL(pool: Pool, config: Config, log: Logger): Promise<string> {
  const preset = makePreset({ pool, config, log, variants: createVariants(config, log, createHeuristicProvider()), jwtSecret: 'unused', httpClaims: new WeakMap() });
  const { schema } = await makeSchema(preset);
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

async function main() {
  const check = process.argv.includes('--check');
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const db = await openDatabase(config, log);
  const scratch = `job_review_schema_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query(`create database ${scratch}`);
    const url = new URL(db.url);
    url.pathname = `/${scratch}`;
    const pool = createPool(url.toString(), { max: 4, applicationName: 'job-review print-schema' });
    let sdl: string;
    try {
      await migrate(pool);
      sdl = await apiSchemaSDL(pool, config, log);
    } finally {
      await pool.end();
    }
    if (check) {
      let committed = '';
      try {
        committed = readFileSync(SCHEMA_FILE, 'utf8');
      } catch {
        /* missing: differs */
      }
      if (committed !== sdl) {
        process.stderr.write('schema.graphql is out of date: run `node src/api/print-schema.ts` and commit the diff\n');
        process.exitCode = 1;
      } else {
        process.stdout.write('schema.graphql is up to date\n');
      }
    } else {
      writeFileSync(SCHEMA_FILE, sdl);
      process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    }
  } finally {
    await admin.query(`drop database if exists ${scratch} with (force)`).catch(() => {});
    await admin.end();
    await db.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    process.stderr.write(`print-schema: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
