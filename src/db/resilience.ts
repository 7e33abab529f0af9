// Riding out database outages (a restart, a network cut, max_connections
// reached) instead of dying of them.
//
// Why: graphile-worker 0.18 treats a failed completeJobs/failJobs as fatal
// (its batch retry gives up after the first error), shuts its pool down, and
// a local queue that then cannot return its jobs throws an uncaught error:
// the worker process exits during a two-second database restart, leaving its
// postings in_review until another worker presumes it dead. So the pool we
// hand graphile-worker (and our own lifecycle) waits for the database:
//
//  - connect() retries errors that mean "the server is not reachable right
//    now" with capped exponential backoff, logging the outage once (with a
//    plain description: connection limit reached, server shutting down,
//    refused...) and once more when the database is back;
//  - a statement that fails because its connection died (server restart,
//    terminated backend, reset) is run again on a new connection. This is
//    safe for what runs through it: graphile-worker's queue statements and
//    our lifecycle functions are single autocommit statements, and they are
//    fenced (locked_by, claimed_by + attempt), so a repeat of one that did
//    commit changes nothing. Inside an explicit transaction nothing is retried.
//
// The LISTEN connection (callback-style connect) is passed straight through:
// graphile-worker reconnects it with its own backoff.
import type pg from 'pg';
import type { Logger } from '../log.ts';
import type { Pool, PoolClient } from './pool.ts';

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ECONNABORTED',
  '57P01', // admin_shutdown: terminated by a fast shutdown or pg_terminate_backend
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
  '53300', // too_many_connections
  '08000', '08001', '08003', '08004', '08006', '08P01',
]);

const TRANSIENT_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/i,
  /too many clients|remaining connection slots are reserved/i,
];

export function isTransientDbError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && TRANSIENT_CODES.has(e.code)) return true;
  return TRANSIENT_MESSAGES.some((re) => re.test(e.message ?? ''));
}

/** One line an operator understands: what is wrong with the database connection. */
export function describeDbError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const msg = e?.message ?? String(error);
  if (e?.code === '53300' || /too many clients|remaining connection slots/i.test(msg)) {
    return `PostgreSQL connection limit reached (max_connections): ${msg}`;
  }
  if (e?.code === '57P03' || /the database system is/i.test(msg)) return `PostgreSQL is starting up or shutting down: ${msg}`;
  if (e?.code === '57P01') return `PostgreSQL terminated the connection (restart or administrator): ${msg}`;
  if (e?.code === 'ECONNREFUSED') return `PostgreSQL refused the connection (not running?): ${msg}`;
  if (/timeout/i.test(msg) || e?.code === 'ETIMEDOUT') return `PostgreSQL did not answer in time (network?): ${msg}`;
  return `PostgreSQL connection failed: ${msg}`;
}

export interface ResilientPool {
  connect(): Promise<PoolClient>;
  connect(cb: (err: Error | undefined, client: PoolClient | undefined, release: (err?: unknown) => void) => void): void;
  query(text: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult>;
  on(event: string, listener: (...args: any[]) => void): ResilientPool;
  removeListener(event: string, listener: (...args: any[]) => void): ResilientPool;
  listeners(event: string): Function[];
  end(): Promise<void>;
  readonly options: pg.PoolConfig;
  /** The pool underneath. */
  readonly pool: Pool;
}

export interface ResilienceOptions {
  log: Logger;
  /** Stop waiting (the pending call then rejects with the last error). */
  signal?: AbortSignal;
  minDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export function resilientPool(pool: Pool, opts: ResilienceOptions): ResilientPool {
  const { log, signal } = opts;
  const minDelay = opts.minDelayMs ?? 200;
  const maxDelay = opts.maxDelayMs ?? 5000;

  // One outage is logged once, however many callers are waiting.
  let outageSince: number | null = null;
  let lastReport = 0;
  const noteFailure = (error: unknown) => {
    const now = Date.now();
    if (outageSince === null) {
      outageSince = now;
      lastReport = now;
      log.warn({ code: (error as { code?: string }).code }, `${describeDbError(error)}; waiting for the database and retrying`);
    } else if (now - lastReport >= 30_000) {
      lastReport = now;
      log.warn({ code: (error as { code?: string }).code, downForSeconds: Math.round((now - outageSince) / 1000) }, `${describeDbError(error)}; still retrying`);
    }
  };
  const noteSuccess = () => {
    if (outageSince !== null) {
      log.warn({ downForSeconds: Math.round((Date.now() - outageSince) / 100) / 10 }, 'PostgreSQL reachable again; resuming');
      outageSince = null;
    }
  };

  async function rawConnect(): Promise<PoolClient> {
    for (let attempt = 0; ; attempt++) {
      try {
        const client = await pool.connect();
        noteSuccess();
        return client;
      } catch (error) {
        if (!isTransientDbError(error) || signal?.aborted) throw error;
        noteFailure(error);
        const delay = Math.min(maxDelay, minDelay * 1.5 ** attempt) * (0.5 + Math.random() / 2);
        await sleep(delay, signal);
        if (signal?.aborted) throw error;
      }
    }
  }

  // A client whose single statements survive the loss of its connection.
  function wrap(first: PoolClient): PoolClient {
    let current = first;
    let inTransaction = false;
    let released = false;
    const query = async (...args: unknown[]): Promise<unknown> => {
      const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
      const head = text.trimStart().slice(0, 16).toLowerCase();
      if (/^(begin|start transaction)/.test(head)) inTransaction = true;
      for (;;) {
        try {
          const result = await (current.query as (...a: unknown[]) => Promise<unknown>)(...args);
          if (/^(commit|rollback|end|abort)\b/.test(head)) inTransaction = false;
          return result;
        } catch (error) {
          if (/^(commit|rollback|end|abort)\b/.test(head)) inTransaction = false;
          if (inTransaction || released || !isTransientDbError(error) || signal?.aborted) throw error;
          noteFailure(error);
          const dead = current;
          dead.release(error as Error); // destroys the dead connection
          try {
            current = await rawConnect();
          } catch (connectError) {
            released = true; // nothing left to release
            throw connectError;
          }
        }
      }
    };
    return new Proxy(first, {
      get(_target, prop) {
        if (prop === 'query') return query;
        if (prop === 'release') {
          return (err?: Error | boolean) => {
            if (released) return;
            released = true;
            current.release(err as Error);
          };
        }
        const value = (current as unknown as Record<PropertyKey, unknown>)[prop];
        return typeof value === 'function' ? (value as Function).bind(current) : value;
      },
    });
  }

  const resilient: ResilientPool = {
    connect: ((cb?: (err: Error | undefined, client: PoolClient | undefined, release: (err?: unknown) => void) => void) => {
      if (cb) return (pool.connect as (cb: unknown) => void)(cb);
      return rawConnect().then(wrap);
    }) as ResilientPool['connect'],
    async query(text, values) {
      const client = await resilient.connect();
      try {
        return await client.query(text as string, values);
      } finally {
        client.release();
      }
    },
    on(event, listener) {
      pool.on(event as 'error', listener);
      return resilient;
    },
    removeListener(event, listener) {
      pool.removeListener(event, listener);
      return resilient;
    },
    listeners: (event) => pool.listeners(event),
    end: () => pool.end(),
    get options() {
      return (pool as unknown as { options: pg.PoolConfig }).options;
    },
    pool,
  };
  return resilient;
}
