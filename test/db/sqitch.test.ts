// src/db/sqitch.ts must be indistinguishable from sqitch 1.3.1 itself: same
// change ids, same registry, and each tool must accept what the other deployed.
// The expected ids below were computed by the real sqitch (Debian 1.3.1, its
// App::Sqitch::Plan on the same plan text); the tests that run the `sqitch`
// binary are skipped, with the reason, when it is not installed.
import t from 'tap';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { changeId, changeInfo, deployPlan, parsePlan, planStatus, tagId } from '../../src/db/sqitch.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/sqitch-mini', import.meta.url));
const SERVER_URL = process.env.TEST_DATABASE_URL || process.env.JOB_REVIEW_TEST_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

// Both sqitch and our deployer take the committer from these variables; the
// config paths keep a developer's ~/.sqitch/sqitch.conf out of the picture.
const SQITCH_ENV = {
  SQITCH_FULLNAME: 'Mini Deployer',
  SQITCH_EMAIL: 'deployer@mini.invalid',
  SQITCH_USER_CONFIG: '/nonexistent/sqitch-user.conf',
  SQITCH_SYSTEM_CONFIG: '/nonexistent/sqitch-system.conf',
};
Object.assign(process.env, SQITCH_ENV);

// What real sqitch 1.3.1 computes for test/fixtures/sqitch-mini/sqitch.plan.
const MINI_IDS = {
  mini_schema: '37e4b0b3feb23dd8700ba0f3298856c3079388bf',
  widgets: '16ecf435596a1b6b4f32bc77bf2506b8b7f91206',
  widget_count: 'e6ff2fe9e0e114bde85a31d53f8e75ceb5909a8b',
  '@v1': 'a2a9a5f1865392653c752d507f6535df3a257dd1',
};
const MINI_NAMES = ['mini_schema', 'widgets', 'widget_count'];

function sqitchUnavailable(): string | false {
  const probe = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
  const sqitch = probe('sqitch', ['--version']);
  if (sqitch.error || sqitch.status !== 0) return `sqitch not installed: ${sqitch.error?.message ?? sqitch.stderr.trim()}`;
  const psql = probe('psql', ['--version']);
  if (psql.error || psql.status !== 0)
    return `psql not installed (sqitch's pg engine runs scripts with it): ${psql.error?.message ?? psql.stderr.trim()}`;
  const dbd = probe('perl', ['-MDBD::Pg', '-e', '1']);
  if (dbd.error || dbd.status !== 0) return `DBD::Pg not installed (libdbd-pg-perl): ${dbd.error?.message ?? dbd.stderr.trim()}`;
  return false;
}
const NO_SQITCH = sqitchUnavailable();

// ---------------------------------------------------------------------------
// Databases: one per test, dropped at the end.

interface Teardown {
  teardown(fn: () => unknown): void;
}

interface TestDb {
  name: string;
  /** The sqitch target for the same database. */
  target: string;
  connect(): Promise<pg.Client>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: SERVER_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function createDb(t: Teardown): Promise<TestDb> {
  const runId = process.env.JOB_REVIEW_TEST_RUN_ID;
  const name = `${runId ? `jrt_${runId}_` : ''}sqitchtest_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  const clients: pg.Client[] = [];
  t.teardown(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    await admin((c) => c.query(`drop database if exists ${name} with (force)`));
  });
  const u = new URL(SERVER_URL);
  u.pathname = `/${name}`;
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  return {
    name,
    target: `db:pg://${auth}${u.host}/${name}`,
    async connect() {
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      clients.push(c);
      return c;
    },
  };
}

function runSqitch(db: TestDb, args: string[], cwd = FIXTURE): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('sqitch', [...args, db.target], { cwd, env: { ...process.env, ...SQITCH_ENV } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** A copy of the fixture to edit, removed after the test. */
function fixtureCopy(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sqitch-mini-'));
  cpSync(FIXTURE, dir, { recursive: true });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The registry's rows without the deploy-time clock, in committed order. */
async function registryRows(c: pg.Client) {
  const q = async (sql: string) => (await c.query(sql)).rows;
  return {
    releases: await q(`select version::text, installer_name, installer_email from sqitch.releases`),
    projects: await q(`select project, uri, creator_name, creator_email from sqitch.projects`),
    changes: await q(`select change_id, script_hash, change, project, note, committer_name, committer_email,
                             planned_at::text, planner_name, planner_email from sqitch.changes order by committed_at`),
    dependencies: await q(
      `select d.* from sqitch.dependencies d join sqitch.changes c using (change_id) order by c.committed_at, d.dependency`,
    ),
    tags: await q(`select tag_id, tag, project, change_id, note, committer_name, committer_email, planned_at::text,
                          planner_name, planner_email from sqitch.tags order by committed_at`),
    events: await q(`select event, change_id, change, project, note, requires, conflicts, tags, committer_name, committer_email,
                            planned_at::text, planner_name, planner_email from sqitch.events order by committed_at`),
  };
}

/** Everything about the sqitch schema's definition that pg_dump would show. */
async function registryCatalog(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query<{ line: string }>(`
    select 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
           || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
           || coalesce(' -- ' || col_description(c.oid, a.attnum), '') as line
      from pg_class c
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
     where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
    union all
    select 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
      from pg_constraint where connamespace = 'sqitch'::regnamespace
    union all
    select 'index ' || indexdef from pg_indexes where schemaname = 'sqitch'
    union all
    select 'comment ' || c.relname || ' -- ' || obj_description(c.oid, 'pg_class')
      from pg_class c where c.relnamespace = 'sqitch'::regnamespace and c.relkind = 'r'
    union all
    select 'schema comment ' || obj_description('sqitch'::regnamespace, 'pg_namespace')
     order by 1`);
  return rows.map((r) => r.line);
}

// ---------------------------------------------------------------------------
// Pure: parsing and ids

t.test('parsePlan reads the fixture plan with the ids sqitch computes', async (t) => {
  const plan = parsePlan(readFileSync(join(FIXTURE, 'sqitch.plan'), 'utf8'));
  t.equal(plan.project, 'sqitch_mini');
  t.equal(plan.syntaxVersion, '1.0.0');
  t.equal(plan.uri, null);
  t.same(
    plan.changes.map((c) => c.name),
    MINI_NAMES,
  );
  const [schema, widgets, count] = plan.changes;
  t.equal(schema.id, MINI_IDS.mini_schema);
  t.equal(widgets.id, MINI_IDS.widgets);
  t.equal(count.id, MINI_IDS.widget_count);
  t.equal(widgets.tags[0].id, MINI_IDS['@v1']);
  t.equal(widgets.tags[0].note, 'First release');
  t.equal(widgets.parentId, schema.id, 'the parent is the previous change');
  t.equal(count.parentId, widgets.id, 'a tag in between does not change the parent');
  t.equal(widgets.note, 'Widgets table\nwithout its own BEGIN/COMMIT', '\\n in a note is a newline');
  t.equal(count.note, 'Zählt die Widgets — café');
  t.same(count.requires, [
    { conflicts: false, change: 'widgets' },
    { conflicts: false, change: 'mini_schema' },
  ]);
  t.equal(schema.timestamp, '2026-11-29T07:09:10Z');
  t.equal(schema.plannerName, 'Mini Planner');
  t.equal(schema.plannerEmail, 'planner@mini.invalid');
  t.equal(schema.line, 6);
});

t.test('ids of unusual plans equal sqitch 1.3.1', async (t) => {
  // CRLF lines, a %uri to canonicalise, a "+" operator, a tab, a planner name
  // with inner double blanks, a note of "0" (false in Perl, so not hashed),
  // escapes in a note, a non-ASCII name, dependencies on a tag, on
  // change@tag, on this project by name, on another project, a conflict.
  const text = [
    '%syntax-version=1.0.0',
    '%project=vec',
    '%uri=https://Ex.com/ä',
    '# header comment',
    '',
    '+a\t2026-01-02T03:04:05Z  Anne  Planner   <anne@x>   #   0',
    'café_ü [a] 2026-01-02T03:04:06Z B <b@x> # back\\\\slash \\r\\n end',
    '@t1 2026-01-02T03:04:07Z B <b@x>',
    '# a comment',
    'c [vec:a a@t1 @t1 ext:x@beta !ext:y] 2026-01-02T03:04:08Z C <c@x>#tight',
    'd [café_ü] 2026-01-02T03:04:09Z D <d@x> # 0 ',
    '',
  ].join('\r\n');
  const plan = parsePlan(text);
  const ids = Object.fromEntries(plan.changes.flatMap((c) => [[c.name, c.id], ...c.tags.map((tg) => [`@${tg.name}`, tg.id])]));
  t.same(ids, {
    a: '2e5501661c07fa5a7089cac5a0105f79ccba85f9',
    café_ü: '8517494c59ac775b5b1ffa161bdb68199bdf036b',
    '@t1': 'bb45d4b7cc9cd2e348743cf29dab129bed10a1d1',
    c: '0f1e1b9f3acbcce5c14ede531b3ee980744d470a',
    d: 'a4aeef28ffd12a0272e99d1f3229756c09e17267',
  });
  const c = plan.changes[2];
  // sqitch's Change->info for c, verbatim.
  t.equal(
    changeInfo({
      project: 'vec',
      uri: plan.uri,
      name: c.name,
      parentId: c.parentId,
      plannerName: c.plannerName,
      plannerEmail: c.plannerEmail,
      timestamp: c.timestamp,
      requires: ['a', 'a@t1', '@t1', 'ext:x@beta'],
      conflicts: ['ext:y'],
      note: c.note,
    }),
    [
      'project vec',
      'uri https://ex.com/%C3%A4',
      'change c',
      'parent 8517494c59ac775b5b1ffa161bdb68199bdf036b',
      'planner C <c@x>',
      'date 2026-01-02T03:04:08Z',
      'requires',
      '  + a',
      '  + a@t1',
      '  + @t1',
      '  + ext:x@beta',
      'conflicts',
      '  - ext:y',
      '',
      'tight',
    ].join('\n'),
  );
  t.equal(plan.changes[0].plannerName, 'Anne  Planner  ', 'the planner name keeps what sqitch keeps');
  t.equal(plan.changes[1].note, 'back\\slash \r\n end');

  const other = parsePlan(
    '%syntax-version=1.0.0\n%project=p\n%uri=HTTPS://Example.COM:443\n\na 2026-11-29T07:09:10Z N <e@x>\n' +
      'b [a !c ext:d] 2026-11-29T07:09:11Z Ünï  Name <e@x> # note é\\nline2  \n@t1 2026-11-29T07:09:12Z N <e@x> # tag note\n',
  );
  t.same(
    other.changes.map((ch) => ch.id),
    ['00de1bebc4cbe99d9cf41b54690d8786e19b2a2d', '1643666a268082139dd640cc32508852aecb1b2d'],
  );
  t.equal(other.changes[1].tags[0].id, '4fe2ccbb0ac0741c43f39865237ccfb5fbb5f82e');
});

t.test('changeId and tagId from fields', async (t) => {
  const planner = { plannerName: 'Mini Planner', plannerEmail: 'planner@mini.invalid' };
  t.equal(
    changeId({ project: 'sqitch_mini', name: 'mini_schema', timestamp: '2026-11-29T07:09:10Z', note: 'Schema mini', ...planner }),
    MINI_IDS.mini_schema,
  );
  t.equal(
    tagId({
      project: 'sqitch_mini',
      name: 'v1',
      changeId: MINI_IDS.widgets,
      timestamp: '2026-11-29T07:11:12Z',
      note: 'First release',
      ...planner,
    }),
    MINI_IDS['@v1'],
  );
  // The Perl URI canonical forms, as printed by perl -MURI.
  const uriLine = (uri: string) =>
    changeInfo({ project: 'p', uri, name: 'a', timestamp: '2026-01-01T00:00:00Z', plannerName: 'N', plannerEmail: 'e' }).split('\n')[1];
  const canonical: [string, string][] = [
    ['https://github.com/Foo/Bar', 'https://github.com/Foo/Bar'],
    ['urn:UUID:ABC', 'urn:uuid:ABC'],
    ['HTTP://X.com:80/a%2fb?Q=%7e#Frag', 'http://x.com/a%2Fb?Q=~#Frag'],
    ['https://ex.com:8443', 'https://ex.com:8443/'],
    ['https://user:PW@EX.com', 'https://user:PW@ex.com/'],
    ['ftp://EX.com:21', 'ftp://ex.com'],
    ['http://ex.com?x', 'http://ex.com?x'],
    ['https://ex.com/%7euser/%41', 'https://ex.com/~user/A'],
    ['git@github.com:x/y.git', 'git@github.com:x/y.git'],
    ['foo://BAR.com:80', 'foo://BAR.com:80'],
  ];
  for (const [given, expected] of canonical) t.equal(uriLine(given), `uri ${expected}`, given);
});

t.test('parse errors name the line', async (t) => {
  const head = '%syntax-version=1.0.0\n%project=p\n\n';
  const ok = 'a 2026-01-01T00:00:00Z N <n@x>\n';
  const cases: [string, RegExp][] = [
    ['%project=p\na 2026-01-01T00:00:00Z N <n@x>\n', /line 2: Invalid pragma/],
    ['%syntax-version=1.0.0\n\na 2026-01-01T00:00:00Z N <n@x>\n', /Missing %project pragma/],
    [`${head}a N <n@x>\n`, /line 4: Missing timestamp/],
    [`${head}a 2026-01-01T00:00:00Z\n`, /line 4: Missing planner name and email/],
    [`${head}a\n`, /line 4: Missing timestamp and planner/],
    [`${head}@v1 2026-01-01T00:00:00Z N <n@x>\n`, /line 4: Tag "v1" declared without a preceding change/],
    [`${head}${ok}${ok}`, /line 5: Change "a" duplicates earlier declaration on line 4/],
    [`${head}${ok}@v1 2026-01-01T00:00:00Z N <n@x>\n${ok}`, /line 6: Change "a" reworks the change on line 4/],
    [
      `${head}${ok}@v1 2026-01-01T00:00:00Z N <n@x>\n@v1 2026-01-01T00:00:00Z N <n@x>\n`,
      /line 6: Tag "v1" duplicates earlier declaration on line 5/,
    ],
    [`${head}${ok}b [a a] 2026-01-01T00:00:00Z N <n@x>\n`, /line 5: Duplicate dependency "a"/],
    [`${head}${ok}b [a:b:c] 2026-01-01T00:00:00Z N <n@x>\n`, /line 5: "a:b:c" is not a valid dependency/],
    [`${head}-a 2026-01-01T00:00:00Z N <n@x>\n`, /line 4: .*revert lines/],
    [`${head}HEAD 2026-01-01T00:00:00Z N <n@x>\n`, /line 4: "HEAD" is a reserved name/],
    [`${head}a: 2026-01-01T00:00:00Z N <n@x>\n`, /line 4: Invalid name/],
    [`${head}a 2026-13-01T00:00:00Z N <n@x>\n`, /line 4: Invalid timestamp/],
    [`${head}b [a] 2026-01-01T00:00:00Z N <n@x>\n${ok}`, /Change "b" \(line 4\) is planned before required change "a" \(line 5\)/],
    [`${head}b [nope] 2026-01-01T00:00:00Z N <n@x>\n`, /Unknown change "nope" required by change "b" \(line 4\)/],
    [`${head}b [b] 2026-01-01T00:00:00Z N <n@x>\n`, /Change "b" \(line 4\) cannot require itself/],
  ];
  for (const [text, expected] of cases) t.throws(() => parsePlan(text), expected, expected.source);
  t.doesNotThrow(
    () => parsePlan(`${head}${ok}b [a p:a ext:x !c] 2026-01-01T00:00:00Z N <n@x>\n`),
    'other projects and conflicts need not be in the plan',
  );
});

// ---------------------------------------------------------------------------
// Our deployer alone

t.test('deploys the plan, and deploying again is a no-op', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  t.same(await planStatus(c, FIXTURE), { deployed: [], pending: MINI_NAMES }, 'no registry yet: everything pending');

  const logs: string[] = [];
  t.same(await deployPlan(c, { dir: FIXTURE, log: (m) => logs.push(m) }), { deployed: MINI_NAMES, alreadyDeployed: 0 });
  t.match(logs, [/registry/, /\+ mini_schema/, /\+ widgets @v1/, /\+ widget_count/]);
  t.equal((await c.query('select mini.widget_count() as n')).rows[0].n, '0', 'the scripts ran');
  t.same(await planStatus(c, FIXTURE), { deployed: MINI_NAMES, pending: [] });

  const before = await registryRows(c);
  t.same(
    before.changes.map((r) => r.change_id),
    [MINI_IDS.mini_schema, MINI_IDS.widgets, MINI_IDS.widget_count],
  );
  t.same(before.changes[0].committer_name, 'Mini Deployer');
  t.same(
    before.tags.map((r) => [r.tag, r.change_id]),
    [['@v1', MINI_IDS.widgets]],
  );
  t.same(
    before.events.map((r) => r.event),
    ['deploy', 'deploy', 'deploy'],
  );

  t.same(await deployPlan(c, { dir: FIXTURE }), { deployed: [], alreadyDeployed: 3 });
  t.same(await registryRows(c), before, 'the second deploy wrote nothing');
  t.equal(c.getTransactionStatus(), 'I');
});

t.test('two concurrent deployPlan calls deploy each change once', async (t) => {
  const db = await createDb(t);
  const [holder, c1, c2] = await Promise.all([db.connect(), db.connect(), db.connect()]);
  // Hold sqitch's own lock (as a running `sqitch deploy` would) until both deployers wait for it.
  await holder.query('select pg_advisory_lock(75474063)');
  const logs: string[][] = [[], []];
  const running = [c1, c2].map((c, i) => deployPlan(c, { dir: FIXTURE, log: (m) => logs[i].push(m) }));
  for (let waiting = 0, tries = 0; waiting < 2; tries++) {
    if (tries > 200) throw new Error('the deployers never waited for the lock');
    await new Promise((r) => setTimeout(r, 25));
    const { rows } = await holder.query(
      `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 75474063 and not granted`,
    );
    waiting = rows[0].n;
  }
  await holder.query('select pg_advisory_unlock(75474063)');
  const results = await Promise.all(running);

  t.same(results.map((r) => r.deployed.length).sort(), [0, 3], 'one deployed everything, the other nothing');
  t.same(results.map((r) => r.alreadyDeployed).sort(), [0, 3], 'the second found it all deployed');
  t.ok(
    logs.every((l) => l.some((m) => /waiting/.test(m))),
    'both said they were waiting',
  );
  const { rows } = await c1.query(
    `select change, count(*)::int as n from sqitch.events where event = 'deploy' group by change order by change`,
  );
  t.same(rows, [
    { change: 'mini_schema', n: 1 },
    { change: 'widget_count', n: 1 },
    { change: 'widgets', n: 1 },
  ]);
  t.equal((await c1.query(`select count(*)::int as n from sqitch.releases`)).rows[0].n, 1, 'the registry was created once');
});

t.test('a registry that disagrees with the plan stops with a clear error', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  await deployPlan(c, { dir: FIXTURE });

  const edited = fixtureCopy(t);
  const planFile = join(edited, 'sqitch.plan');
  const original = readFileSync(planFile, 'utf8');
  writeFileSync(planFile, original.replace('# Widgets table', '# Widgets table, edited'));
  const changedId =
    /Change "widgets" is deployed .* with id 16ecf435596a1b6b4f32bc77bf2506b8b7f91206, but .*sqitch\.plan line 7 gives it id /;
  await t.rejects(deployPlan(c, { dir: edited }), changedId);
  await t.rejects(planStatus(c, edited), changedId);

  writeFileSync(planFile, original.replace(/^widget_count .*\n/m, ''));
  await t.rejects(deployPlan(c, { dir: edited }), /Change "widget_count" \(e6ff2fe9\S+\) is deployed in .* but is not in .*sqitch\.plan/);
  t.same((await registryRows(c)).events.length, 3, 'nothing was recorded');
});

t.test('a failing deploy script is rolled back and logged as a fail event; the next deploy resumes', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  const dir = fixtureCopy(t);
  const script = join(dir, 'deploy', 'widget_count.sql');
  const good = readFileSync(script, 'utf8');
  writeFileSync(script, good.replace('SELECT count(*) FROM mini.widgets;', 'SELECT count(*) FROM mini.no_such_table;'));

  await t.rejects(
    deployPlan(c, { dir }),
    /Deploy of change "widget_count" failed: .*deploy\/widget_count\.sql \(line 8\): relation "mini\.no_such_table" does not exist/,
  );
  t.equal(c.getTransactionStatus(), 'I', 'the connection is usable');
  const rows = await registryRows(c);
  t.same(
    rows.changes.map((r) => r.change),
    ['mini_schema', 'widgets'],
    'the changes before it stay deployed',
  );
  t.same(
    rows.events.map((r) => `${r.event} ${r.change}`),
    ['deploy mini_schema', 'deploy widgets', 'fail widget_count'],
  );
  t.equal((await c.query(`select to_regprocedure('mini.widget_count()') as f`)).rows[0].f, null, 'nothing of the failed script remains');

  writeFileSync(script, good);
  t.same(await deployPlan(c, { dir }), { deployed: ['widget_count'], alreadyDeployed: 2 });
});

t.test('a script that leaves its transaction open is refused, as psql would lose its work', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  const dir = fixtureCopy(t);
  const script = join(dir, 'deploy', 'widget_count.sql');
  writeFileSync(script, readFileSync(script, 'utf8').replace('COMMIT;', ''));
  await t.rejects(deployPlan(c, { dir }), /widget_count\.sql leaves a transaction open/);
  t.equal(c.getTransactionStatus(), 'I');
  t.equal((await c.query(`select to_regprocedure('mini.widget_count()') as f`)).rows[0].f, null);
  t.same(await planStatus(c, dir), { deployed: ['mini_schema', 'widgets'], pending: ['widget_count'] });
});

t.test('session settings a script changes do not leak to later scripts or the caller', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  const dir = fixtureCopy(t);
  const widgets = join(dir, 'deploy', 'widgets.sql');
  // Under psql every script gets a fresh session; a SET must not reach the next script.
  writeFileSync(widgets, `SET search_path = mini;\nSET statement_timeout = '7s';\n${readFileSync(widgets, 'utf8')}`);
  const count = join(dir, 'deploy', 'widget_count.sql');
  const check = `DO $$ BEGIN\n  IF current_setting('search_path') LIKE 'mini%' THEN RAISE 'search_path leaked'; END IF;\nEND $$;\nCOMMIT;`;
  writeFileSync(
    count,
    readFileSync(count, 'utf8').replace('COMMIT;', () => check),
  );
  await c.query(`set application_name = 'caller-setting'`);
  const before = (await c.query(`select current_setting('search_path') as sp, current_setting('statement_timeout') as st`)).rows[0];
  await deployPlan(c, { dir });
  t.same((await c.query(`select current_setting('search_path') as sp, current_setting('statement_timeout') as st`)).rows[0], before);
  t.equal((await c.query(`select current_setting('application_name') as a`)).rows[0].a, 'caller-setting', "the caller's own SET stays");
});

t.test('deployPlan refuses a connection inside a transaction', async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  await c.query('begin');
  await t.rejects(deployPlan(c, { dir: FIXTURE }), /not inside a transaction/);
  await c.query('rollback');
});

// ---------------------------------------------------------------------------
// Against the real sqitch

t.test('the registry we write equals the one sqitch deploy writes', { skip: NO_SQITCH }, async (t) => {
  const [theirs, ours] = await Promise.all([createDb(t), createDb(t)]);
  const deployed = await runSqitch(theirs, ['deploy']);
  t.equal(deployed.code, 0, 'sqitch deploy succeeds', { output: deployed.out });
  const [ct, co] = await Promise.all([theirs.connect(), ours.connect()]);
  await deployPlan(co, { dir: FIXTURE });

  const [rt, ro] = await Promise.all([registryRows(ct), registryRows(co)]);
  t.same(
    rt.changes.map((r) => r.change_id),
    [MINI_IDS.mini_schema, MINI_IDS.widgets, MINI_IDS.widget_count],
    'sqitch computes the ids we expect',
  );
  t.same(ro, rt, 'same rows: releases, projects, changes, dependencies, tags, events');
  t.same(await registryCatalog(co), await registryCatalog(ct), 'same tables, columns, defaults, constraints, indexes and comments');
});

t.test('after our deploy, sqitch status, verify and revert work, and we deploy again', { skip: NO_SQITCH }, async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  await deployPlan(c, { dir: FIXTURE });

  const status = await runSqitch(db, ['status']);
  t.equal(status.code, 0, 'sqitch status succeeds', { output: status.out });
  t.match(status.out, /Nothing to deploy \(up-to-date\)/);
  const verify = await runSqitch(db, ['verify']);
  t.equal(verify.code, 0, 'sqitch verify succeeds', { output: verify.out });
  t.match(verify.out, /Verify successful/);

  const revert = await runSqitch(db, ['revert', '-y']);
  t.equal(revert.code, 0, 'sqitch revert -y succeeds', { output: revert.out });
  t.equal((await c.query(`select count(*)::int as n from pg_namespace where nspname = 'mini'`)).rows[0].n, 0, 'the schema is gone');
  t.same(await planStatus(c, FIXTURE), { deployed: [], pending: MINI_NAMES });

  t.same(await deployPlan(c, { dir: FIXTURE }), { deployed: MINI_NAMES, alreadyDeployed: 0 });
  t.match((await runSqitch(db, ['status'])).out, /Nothing to deploy \(up-to-date\)/);
  const events = (await c.query(`select event || ' ' || change as e from sqitch.events order by committed_at`)).rows.map((r) => r.e);
  t.same(events, [
    'deploy mini_schema',
    'deploy widgets',
    'deploy widget_count',
    'revert widget_count',
    'revert widgets',
    'revert mini_schema',
    'deploy mini_schema',
    'deploy widgets',
    'deploy widget_count',
  ]);
});

t.test('after sqitch deploy, nothing is pending for us', { skip: NO_SQITCH }, async (t) => {
  const db = await createDb(t);
  const deployed = await runSqitch(db, ['deploy']);
  t.equal(deployed.code, 0, 'sqitch deploy succeeds', { output: deployed.out });
  const c = await db.connect();
  t.same(await planStatus(c, FIXTURE), { deployed: MINI_NAMES, pending: [] });
  t.same(await deployPlan(c, { dir: FIXTURE }), { deployed: [], alreadyDeployed: 3 });
  t.equal((await c.query(`select count(*)::int as n from sqitch.events`)).rows[0].n, 3, 'nothing recorded');
});

t.test('sqitch deploys what we left pending', { skip: NO_SQITCH }, async (t) => {
  const db = await createDb(t);
  const c = await db.connect();
  const dir = fixtureCopy(t);
  const planFile = join(dir, 'sqitch.plan');
  const full = readFileSync(planFile, 'utf8');
  writeFileSync(planFile, full.replace(/^widget_count .*\n/m, ''));
  t.same(await deployPlan(c, { dir }), { deployed: ['mini_schema', 'widgets'], alreadyDeployed: 0 });
  writeFileSync(planFile, full);
  const deployed = await runSqitch(db, ['deploy'], dir);
  t.equal(deployed.code, 0, 'sqitch deploy succeeds', { output: deployed.out });
  t.match(deployed.out, /\+ widget_count \.+ ok/);
  t.notMatch(deployed.out, /mini_schema|widgets/, 'sqitch saw the first two as deployed');
  t.same(await planStatus(c, dir), { deployed: MINI_NAMES, pending: [] });
});
