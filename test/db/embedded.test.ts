import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import t from 'tap';
import { EmbeddedPostgresError, ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';

t.setTimeout(240_000);

const moduleUrl = pathToFileURL(path.resolve(import.meta.dirname, '../../src/db/embedded.ts')).href;
const logs: string[] = [];
const log = (msg: string): void => {
  logs.push(msg);
  if (process.env.EMBEDDED_PG_DEBUG) console.error(msg);
};

async function query<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the server in another Node process, as the service would; returns that process and the server's port and pid. */
async function startInChild(dataDir: string, watchdog: boolean) {
  const code = `
    import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};
    const pg = await startEmbeddedPostgres({ dataDir: process.argv[1], watchdog: process.argv[2] === 'watchdog' });
    console.log(JSON.stringify({ port: pg.port, pid: pg.pid, url: pg.url, owned: pg.owned }));
    // Exit (and so stop the server, via the exit hook) if the test process dies.
    process.stdin.on('end', () => process.exit(0)).resume();
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, dataDir, watchdog ? 'watchdog' : 'none'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const info = await new Promise<{ port: number; pid: number; url: string; owned: boolean }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
    });
    child.on('exit', (c) => reject(new Error(`child exited ${c}: ${stderr}`)));
  });
  return { child, ...info };
}

const tmpRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'embedded-pg-test-'));
t.teardown(() => fsp.rm(tmpRoot, { recursive: true, force: true }));

// Any server a failing test leaves behind is stopped at the end.
const started: EmbeddedPostgres[] = [];
async function start(dataDir: string, opts: Partial<Parameters<typeof startEmbeddedPostgres>[0]> = {}): Promise<EmbeddedPostgres> {
  const server = await startEmbeddedPostgres({ dataDir, log, ...opts });
  started.push(server);
  return server;
}
t.teardown(async () => {
  for (const s of started) await s.stop();
});

const dataDir = path.join(tmpRoot, 'project', '.data', 'postgres');

await t.test('first start runs initdb; PostgreSQL 18 on 127.0.0.1; data survives a restart', async (t) => {
  let t0 = Date.now();
  const first = await start(dataDir);
  const firstMs = Date.now() - t0;
  t.ok(first.initialized, 'ran initdb');
  t.ok(first.owned);
  t.ok(fs.existsSync(path.join(dataDir, 'PG_VERSION')));
  t.match(first.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);

  const [{ version }] = await query<{ version: string }>(first.url, 'select version()');
  t.match(version, /^PostgreSQL 18\./);
  const [settings] = await query<{ listen: string; sockets: string; port: string; enc: string }>(
    first.url,
    `select current_setting('listen_addresses') listen, current_setting('unix_socket_directories') sockets,
            current_setting('port') port, pg_encoding_to_char(encoding) enc from pg_database where datname = 'postgres'`,
  );
  t.equal(settings.listen, '127.0.0.1');
  t.equal(settings.sockets, first.socketDir);
  t.not(settings.sockets, '/var/run/postgresql');
  t.equal(Number(settings.port), first.port);
  t.equal(settings.enc, 'UTF8');
  t.ok(fs.readdirSync(first.socketDir).includes(`.s.PGSQL.${first.port}`), 'unix socket in socketDir');
  const [{ up }] = await query<{ up: string }>(first.url, `select upper('straße éa') up`);
  t.equal(up, 'STRAßE ÉA', 'Unicode-aware (simple) case mapping from the builtin C.UTF-8 locale');

  // The postmaster never runs as root.
  const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${first.pid}/status`, 'utf8'))?.[1]);
  t.not(uid, 0, 'postgres is not running as root');
  if (process.getuid?.() !== 0) t.equal(uid, process.getuid?.(), 'non-root: runs as the current user');

  await query(first.url, 'create table kept (id int primary key, note text)');
  await query(first.url, `insert into kept values (1, 'survives restarts')`);
  t0 = Date.now();
  await first.stop();
  const stopMs = Date.now() - t0;
  t.notOk(alive(first.pid), 'postmaster is gone after stop()');
  t.notOk(fs.existsSync(path.join(dataDir, 'postmaster.pid')), 'clean shutdown removed postmaster.pid');

  t0 = Date.now();
  const second = await start(dataDir);
  const restartMs = Date.now() - t0;
  t.notOk(second.initialized, 'reused the cluster');
  const rows = await query<{ note: string }>(second.url, 'select note from kept where id = 1');
  t.same(rows, [{ note: 'survives restarts' }]);
  await second.stop();
  t.comment(`timings: first start (initdb + start) ${firstMs} ms, stop ${stopMs} ms, restart ${restartMs} ms`);
});

await t.test('stop() twice, and concurrently, is harmless', async (t) => {
  const server = await start(dataDir);
  await Promise.all([server.stop(), server.stop()]);
  await server.stop();
  t.notOk(alive(server.pid));
});

await t.test('SIGKILLed postmaster: the next start recovers and keeps committed data', async (t) => {
  const killed = await start(dataDir);
  await query(killed.url, `insert into kept values (2, 'committed before the kill')`);
  process.kill(killed.pid, 'SIGKILL');
  // Start at once: the dead postmaster's children may still be alive.
  const server = await start(dataDir);
  t.ok(server.owned);
  t.not(server.pid, killed.pid);
  const rows = await query<{ id: number }>(server.url, 'select id from kept order by id');
  t.same(rows, [{ id: 1 }, { id: 2 }]);
  await killed.stop(); // the old handle: harmless, and must not disturb the new server
  t.ok(fs.existsSync(path.join(dataDir, 'embedded-owner.json')), "the new server's owner record is untouched");
  t.same(await query(server.url, 'select 1 as one'), [{ one: 1 }]);
  await server.stop();
});

await t.test('stale postmaster.pid naming a live, unrelated process does not block start', async (t) => {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => {
    sleeper.kill();
  });
  const pidFile = path.join(dataDir, 'postmaster.pid');
  await fsp.writeFile(pidFile, `${sleeper.pid}\n${dataDir}\n${Math.floor(Date.now() / 1000)}\n5999\n/tmp\n127.0.0.1\n  5999001     42\nready   \n`);
  const server = await start(dataDir);
  t.match(logs.join('\n'), /removed stale .*postmaster\.pid \(pid \d+ is not this cluster's postgres\)/);
  t.equal(Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]), server.pid);
  t.same(await query(server.url, 'select count(*)::int as n from kept'), [{ n: 2 }]);
  await server.stop();
});

await t.test('stale postmaster.pid naming a dead pid does not block start', async (t) => {
  const gone = spawn('true');
  await new Promise((r) => gone.on('exit', r));
  await fsp.writeFile(path.join(dataDir, 'postmaster.pid'), `${gone.pid}\n${dataDir}\n0\n5999\n/tmp\n127.0.0.1\n  5999001     42\nready   \n`);
  const server = await start(dataDir);
  t.ok(server.owned);
  await server.stop();
});

await t.test('Node killed hard with the watchdog: PostgreSQL shuts down, next start works', async (t) => {
  const { child, pid } = await startInChild(dataDir, true);
  t.ok(alive(pid));
  child.kill('SIGKILL');
  await waitFor('the watchdog to stop the orphaned postmaster', () => !alive(pid));
  const server = await start(dataDir);
  t.same(await query(server.url, 'select count(*)::int as n from kept'), [{ n: 2 }]);
  await server.stop();
});

await t.test('Node killed hard without a watchdog: the orphan is shut down by the next start', async (t) => {
  const { child, pid } = await startInChild(dataDir, false);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  await new Promise((r) => setTimeout(r, 300));
  t.ok(alive(pid), 'the orphaned postmaster outlived its Node process');
  const server = await start(dataDir);
  t.notOk(alive(pid), 'the orphan was shut down');
  t.match(logs.join('\n'), new RegExp(`shutting down PostgreSQL pid ${pid} left running`));
  t.same(await query(server.url, 'select count(*)::int as n from kept'), [{ n: 2 }]);
  await server.stop();
});

await t.test('a second process attaches to a server owned by a live process', async (t) => {
  const owner = await startInChild(dataDir, true);
  t.teardown(() => {
    owner.child.kill('SIGKILL');
  });
  const attached = await start(dataDir);
  t.notOk(attached.owned);
  t.equal(attached.port, owner.port);
  t.equal(attached.pid, owner.pid);
  await attached.stop(); // not ours: leaves it running
  t.same(await query(attached.url, 'select count(*)::int as n from kept'), [{ n: 2 }]);
  await t.rejects(start(dataDir, { attach: false }), { code: 'IN_USE', message: /is in use by PostgreSQL pid \d+ \(port \d+\) started by live process \d+/ });
  owner.child.kill('SIGKILL');
  await waitFor('the owner server to stop', () => !alive(owner.pid));
});

await t.test('concurrent starts on one data dir share one server', async (t) => {
  const [a, b] = await Promise.all([start(dataDir), start(dataDir)]);
  t.equal(a.pid, b.pid);
  t.same([a.owned, b.owned].sort(), [false, true]);
  const owner = a.owned ? a : b;
  const other = a.owned ? b : a;
  await other.stop();
  t.same(await query(owner.url, 'select 1 as one'), [{ one: 1 }]);
  await owner.stop();

  // Across processes, at the same moment.
  const [child, mine] = await Promise.all([startInChild(dataDir, true), start(dataDir)]);
  t.teardown(() => {
    child.child.kill('SIGKILL');
  });
  t.equal(mine.pid, child.pid, 'one server');
  t.not(mine.owned, child.owned, 'one owner');
  t.same(await query(mine.url, 'select count(*)::int as n from kept'), [{ n: 2 }]);
  await mine.stop();
  child.child.kill('SIGKILL');
  await waitFor('the server to stop', () => !alive(child.pid));
});

await t.test('stopOnSignals: SIGTERM runs beforeStop, then stops PostgreSQL, then exits 143', async (t) => {
  const code = `
    import { startEmbeddedPostgres, stopOnSignals } from ${JSON.stringify(moduleUrl)};
    import fs from 'node:fs';
    const pg = await startEmbeddedPostgres({ dataDir: process.argv[1] });
    stopOnSignals(pg, {
      beforeStop: () => console.log('beforeStop, postgres alive: ' + fs.existsSync('/proc/' + pg.pid + '/cwd')),
    });
    console.log(JSON.stringify({ pid: pg.pid }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await waitFor('the child to start PostgreSQL', () => out.includes('\n'));
  const { pid } = JSON.parse(out.split('\n')[0]);
  child.kill('SIGTERM');
  const [exitCode] = await new Promise<[number | null]>((r) => child.on('exit', (c) => r([c])));
  t.equal(exitCode, 143);
  t.match(out, /beforeStop, postgres alive: true/);
  t.notOk(alive(pid), 'PostgreSQL stopped before the process exited');
  t.notOk(fs.existsSync(path.join(dataDir, 'postmaster.pid')), 'clean shutdown');
});

await t.test('ensureDatabase creates a database once and returns its URL', async (t) => {
  const server = await start(dataDir);
  const url = await ensureDatabase(server.url, 'job_review');
  t.match(url, new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${server.port}/job_review$`));
  t.equal(await ensureDatabase(server.url, 'job_review'), url, 'idempotent');
  await Promise.all([ensureDatabase(server.url, 'race'), ensureDatabase(server.url, 'race')]);
  t.same(await query(url, 'select current_database() as db'), [{ db: 'job_review' }]);
  await server.stop();
});

await t.test('explicit port already in use: a clear error', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const { port } = blocker.address() as net.AddressInfo;
  t.teardown(() => {
    blocker.close();
  });
  await t.rejects(start(dataDir, { port }), { code: 'PORT_IN_USE', message: `embedded PostgreSQL: port ${port} on 127.0.0.1 is already in use` });
});

await t.test('explicit free port is used', async (t) => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((r) => probe.close(r));
  const server = await start(dataDir, { port });
  t.equal(server.port, port);
  await server.stop();
});

await t.test('a non-empty directory without a cluster is refused', async (t) => {
  const dir = path.join(tmpRoot, 'not-a-cluster');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'important.txt'), 'keep me');
  const error = await start(dir).catch((e: unknown) => e);
  t.ok(error instanceof EmbeddedPostgresError);
  t.match(error, { code: 'DATA_DIR', message: /is not empty and holds no PostgreSQL cluster/ });
  t.equal(fs.readFileSync(path.join(dir, 'important.txt'), 'utf8'), 'keep me');
});

await t.test('persistent: false is a throwaway cluster', async (t) => {
  const dir = path.join(tmpRoot, 'throwaway');
  const server = await start(dir, { persistent: false });
  const [{ fsync }] = await query<{ fsync: string }>(server.url, `select current_setting('fsync') as fsync`);
  t.equal(fsync, 'off');
  await server.stop();
  t.notOk(fs.existsSync(dir), 'data dir removed');
});
