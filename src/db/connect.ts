// Where the database is: DATABASE_URL when set, otherwise the embedded
// PostgreSQL with its data in <data dir>/postgres, kept across restarts.
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { ensureDatabase, startEmbeddedPostgres } from './embedded.ts';

export const EMBEDDED_DATABASE_NAME = 'job_review';

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  /** Stops the embedded server; a no-op for an external database. */
  stop(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  }
  const dataDir = join(config.dataDir, 'postgres');
  log.info({ dataDir }, 'DATABASE_URL is not set: starting the embedded PostgreSQL');
  const server = await startEmbeddedPostgres({ dataDir, log: (msg) => log.debug(msg) });
  const url = await ensureDatabase(server.url, EMBEDDED_DATABASE_NAME);
  return { url, embedded: true, stop: () => server.stop() };
}

/** A URL with its password hidden, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}
