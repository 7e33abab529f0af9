// Chaos 5, poison input: imports (the real `job-review import`) and API
// calls (GraphQL and REST against a real `job-review serve`, operator token)
// carrying broken CSV quoting, invalid UTF-8, NUL bytes, a 10 MB description,
// negative, absurd and NaN salaries, future and unparseable dates, HTML and
// <script> in every text field, SQL injection in every field and GraphQL
// argument, a 1 MB query, deep nesting, 1,000 aliases and a fragment bomb.
// Each is rejected with an error naming the problem (the line, for import
// rows) or stored as text that round-trips byte for byte; no injection has
// any effect; the server answers /readyz with 200 after every poison call;
// and a worker then reviews every posting that was stored, once.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImportSummary } from '../../src/import/importer.ts';
import { cliEnv, runCli, startCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { waitFor } from '../helpers/worker.ts';
import { count, figures, installChaosAudit, reportRow, spawnWorker, stopWorker } from './chaos.ts';

const SECRET = 'chaos-poison-secret-0123456789abcdef0123';

const SQLI = [
  `'; DROP TABLE app.jobs; --`,
  `' OR '1'='1`,
  `Robert'); DROP TABLE app.job_reviews;--`,
  `1; DELETE FROM app.jobs WHERE true; --`,
  `$$; DROP SCHEMA app CASCADE; $$`,
  `\\'; TRUNCATE graphile_worker._private_jobs; --`,
  `'||(SELECT pg_sleep(10))||'`,
  `" OR ""="`,
];
const HTML = [
  `<script>alert("xss")</script>`,
  `<img src=x onerror="alert('xss')">`,
  `<a href="javascript:alert(1)">click</a> &amp; &lt;b&gt;`,
  `</textarea><svg/onload=alert(1)>{{constructor.constructor('alert(1)')()}}`,
];
/** Text columns the import and createJob both take, with the CSV header naming each. */
const TEXT_FIELDS = ['site', 'job_url', 'title', 'company', 'company_url', 'location_country', 'location_state', 'location_city', 'job_type', 'description'] as const;
const CSV_HEADER: Record<(typeof TEXT_FIELDS)[number] | 'currency', string> = {
  site: 'site', job_url: 'job_url', title: 'title', company: 'company', company_url: 'company_url', location_country: 'country',
  location_state: 'state', location_city: 'city', job_type: 'job_type', description: 'description', currency: 'currency',
};
const GQL_FIELD: Record<(typeof TEXT_FIELDS)[number] | 'currency', string> = {
  site: 'site', job_url: 'jobUrl', title: 'title', company: 'company', company_url: 'companyUrl', location_country: 'locationCountry',
  location_state: 'locationState', location_city: 'locationCity', job_type: 'jobType', description: 'description', currency: 'currency',
};

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csvLine = (fields: string[]) => fields.map(csvField).join(',');
/** A GraphQL string literal (for values put in the query text itself, not in variables). */
const gqlString = (v: string) => JSON.stringify(v);

t.test('poison input: imports and API calls are refused clearly or stored as exact text; the server stays up', async (t) => {
  const started = Date.now();
  const { pool, url } = await createTestDatabase(t);
  await installChaosAudit(pool);
  const dir = mkdtempSync(join(tmpdir(), 'job-review-poison-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const env = cliEnv({ DATABASE_URL: url, JWT_SECRET: SECRET, NODE_ENV: 'production', LOG_LEVEL: 'warn' });
  const serve = await startCli(['serve', '--host', '127.0.0.1', '--port', '0'], { env, ready: /API listening at (http:\/\/\S+?)\s/ });
  let serverExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  serve.exited.then((e) => (serverExit = e));
  t.teardown(async () => {
    if (!serverExit) {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
  });
  const base = /API listening at (http:\/\/\S+?)\s/.exec(serve.output())![1];
  const tokenRun = await runCli(['token', '--role', 'operator', '--sub', 'chaos-poison'], { env });
  t.equal(tokenRun.code, 0, 'job-review token mints an operator token');
  const token = tokenRun.stdout.trim();

  // ---------------------------------------------------------------- bookkeeping
  const outcomes: Array<{ input: string; got: string }> = [];
  let readyChecks = 0;
  let slowest = { input: '', ms: 0 };
  const readyz = async (after: string) => {
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
      (res) => res.status,
      (e: Error) => `unreachable (${e.message})`,
    );
    readyChecks++;
    if (r !== 200) t.fail(`/readyz answered ${r} after ${after}; server exit: ${JSON.stringify(serverExit)}`);
  };
  /** One poison input: runs it, records what it got, then checks /readyz. */
  const poison = async <T>(input: string, run: () => Promise<T>, describe: (r: T) => string): Promise<T> => {
    const t0 = Date.now();
    const r = await run();
    const ms = Date.now() - t0;
    if (ms > slowest.ms) slowest = { input, ms };
    outcomes.push({ input, got: describe(r) });
    await readyz(input);
    return r;
  };

  const importFile = async (name: string, content: string | Buffer, args: string[] = []) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    const r = await runCli(['import', file, '--json', ...args], { env, timeoutMs: 60_000 });
    let summary: ImportSummary | undefined;
    try {
      summary = JSON.parse(r.stdout) as ImportSummary;
    } catch {
      summary = undefined;
    }
    return { ...r, summary: summary! };
  };
  const importOutcome = (r: { code: number | null; summary: ImportSummary }) =>
    `exit ${r.code}; ${r.summary?.inserted ?? '?'} inserted, rejected ${r.summary?.rejections.map((x) => `line ${x.line} (${x.reason})`).join(', ') || 'none'}${r.summary?.fatal ? `; stopped at line ${r.summary.fatal.line}: ${r.summary.fatal.reason}` : ''}`;
  const linesOf = (s: ImportSummary) => s.rejections.map((r) => r.line);
  const reasonAt = (s: ImportSummary, line: number) => s.rejections.find((r) => r.line === line)?.reason ?? '';

  const gqlRaw = (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}`, ...headers },
      body,
      signal: AbortSignal.timeout(30_000),
    }).then(async (res) => {
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = { raw: text.slice(0, 200) };
      }
      return { status: res.status, body: json, bytes: text.length };
    });
  const gql = (query: string, variables: Record<string, unknown> = {}) => gqlRaw(JSON.stringify({ query, variables }));
  const gqlOutcome = (r: { status: number; body: any }) => `HTTP ${r.status}: ${r.body.errors ? r.body.errors.map((e: { message: string }) => e.message).join('; ') : 'data'}`;
  const rest = (method: string, path: string, body?: string | Uint8Array<ArrayBuffer>) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body,
      signal: AbortSignal.timeout(30_000),
    }).then(async (res) => ({ status: res.status, body: (await res.json().catch(() => ({}))) as { error?: string; reason?: string } }));
  const restOutcome = (r: { status: number; body: { error?: string; reason?: string } }) => `HTTP ${r.status}: ${r.body.reason ?? r.body.error ?? ''}`;

  /** The stored row of a posting, by job_url. */
  const stored = async (jobUrl: string) => (await pool.query(`select * from app.jobs where job_url = $1`, [jobUrl])).rows[0];
  let expectedJobs = 0;

  // ================================================================ imports

  await t.test('import: broken CSV quoting is reported per line; the good rows land', async (t) => {
    const h = 'site,job_url,title,company,description';
    const content = [
      h,
      'poison,https://p/q/1,Quoting Good One,Quote Corp A,fine',
      'poison,https://p/q/2,"Bad "quote" inside",Quote Corp B,x', // line 3
      'poison,https://p/q/3,Quoting Good Two,Quote Corp C,"quoted, with ""doubled"" quotes\nand a newline"',
      'poison,https://p/q/4,Too Many,Quote Corp D,x,y,z', // line 6 (line 4 spans two lines)
      'poison,https://p/q/5,"never closed,Quote Corp E,x', // line 7: swallows the rest
      'poison,https://p/q/6,Lost After Unclosed Quote,Quote Corp F,x',
    ].join('\n');
    const r = await poison('CSV with broken quoting', () => importFile('quoting.csv', content), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, 2, 'the two good rows land');
    t.same(linesOf(r.summary), [3, 6, 7], 'the broken rows are named by the line they start on');
    t.match(reasonAt(r.summary, 3), /broken quoting/);
    t.match(reasonAt(r.summary, 6), /has 7 fields; the header has 5/);
    t.match(reasonAt(r.summary, 7), /broken quoting: a quoted field is never closed \(it runs from this line to the end of the file, line 8/);
    t.equal((await stored('https://p/q/3')).description, 'quoted, with "doubled" quotes\nand a newline', 'CSV quoting itself round-trips');
    expectedJobs += 2;
  });

  await t.test('import: invalid UTF-8 is reported per line (CSV and NDJSON); in the header it stops the file', async (t) => {
    const csv = Buffer.concat([
      Buffer.from('site,job_url,title,company\npoison,https://p/u/1,UTF8 Good,Utf Corp A\n'),
      Buffer.from('poison,https://p/u/2,Bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' Title,Utf Corp B\n'), // line 3
      Buffer.from('poison,https://p/u/3,Overlong,Utf Corp '), Buffer.from([0xc0, 0xaf]), Buffer.from('\n'), // line 4
      Buffer.from('poison,https://p/u/4,Surrogate '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(',Utf Corp D\n'), // line 5
      Buffer.from('poison,https://p/u/5,UTF8 Good Two ✓ 日本語,Utf Corp E\n'),
    ]);
    const r = await poison('CSV with invalid UTF-8 in fields', () => importFile('utf8.csv', csv), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, 2);
    t.same(linesOf(r.summary), [3, 4, 5]);
    t.match(reasonAt(r.summary, 3), /invalid UTF-8 in column title/);
    t.match(reasonAt(r.summary, 4), /invalid UTF-8 in column company/);
    t.equal((await stored('https://p/u/5')).title, 'UTF8 Good Two ✓ 日本語', 'valid multi-byte text round-trips');
    expectedJobs += 2;

    const nd = Buffer.concat([
      Buffer.from('{"site":"poison","job_url":"https://p/u/6","title":"NDJSON Good","company":"Utf Corp F"}\n'),
      Buffer.from('{"site":"poison","job_url":"https://p/u/7","title":"Bad '), Buffer.from([0xfe]), Buffer.from('","company":"Utf Corp G"}\n'),
      Buffer.from('{"site":"poison","job_url":"https://p/u/8","title":"NDJSON \\u0000 escape","company":"Utf Corp H"}\n'), // JSON-escaped NUL
      Buffer.from('{"site":"poison","job_url":"https://p/u/9", "title": \n'), // malformed JSON, line 4
    ]);
    const n = await poison('NDJSON with invalid UTF-8, an escaped NUL and malformed JSON', () => importFile('utf8.ndjson', nd), importOutcome);
    t.equal(n.code, 0, importOutcome(n));
    t.equal(n.summary.inserted, 1);
    t.same(linesOf(n.summary), [2, 3, 4]);
    t.match(reasonAt(n.summary, 2), /invalid UTF-8/);
    t.match(reasonAt(n.summary, 3), /"title" contains a NUL character/, 'the NUL character is named');
    t.match(reasonAt(n.summary, 4), /malformed JSON/);
    expectedJobs += 1;

    const before = await count(pool, `select count(*)::int n from app.jobs`);
    const bad = Buffer.concat([Buffer.from('site,job_url,ti'), Buffer.from([0xff]), Buffer.from('tle,company\npoison,https://p/u/10,Never,Utf Corp I\n')]);
    const h = await poison('CSV with invalid UTF-8 in the header', () => importFile('utf8-header.csv', bad), importOutcome);
    t.equal(h.code, 1, 'exit 1: the file cannot be read');
    t.match(h.summary.fatal, { line: 1, reason: /invalid UTF-8 in the header/ });
    t.equal(await count(pool, `select count(*)::int n from app.jobs`), before, 'nothing half-written');
  });

  await t.test('import: NUL bytes in CSV fields are refused per line', async (t) => {
    const csv = 'site,job_url,title,company\npoison,https://p/n/1,NUL Good,Nul Corp A\npoison,https://p/n/2,Has \0 NUL,Nul Corp B\npoison,https://p/n/3,NUL Good Two,Nul Corp C\n';
    const r = await poison('CSV with a NUL byte in a field', () => importFile('nul.csv', csv), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, 2);
    t.same(linesOf(r.summary), [3]);
    t.match(reasonAt(r.summary, 3), /"title" contains a NUL character \(\\u0000\), which PostgreSQL cannot store/);
    expectedJobs += 2;
  });

  const bigDescription = Array.from({ length: 10 * 1024 }, (_, i) => `<p>line ${i} of a very long description, "quoted", 'single', ünïcödé ✓</p>`.padEnd(1023, '.')).join('\n');
  await t.test('import: a 10 MB description is stored exactly; a 17 MB row stops the file, named by line', async (t) => {
    t.ok(bigDescription.length >= 10 * 1024 * 1024 - 10 * 1024, `${(Buffer.byteLength(bigDescription) / 1048576).toFixed(1)} MB description`);
    const content = [
      'site,job_url,title,company,description',
      csvLine(['poison', 'https://p/big/1', 'Ten Megabytes', 'Big Corp A', bigDescription]),
      csvLine(['poison', 'https://p/big/2', 'After Ten Megabytes', 'Big Corp B', 'small']),
    ].join('\n');
    const r = await poison('CSV with a 10 MB description', () => importFile('big.csv', content), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, 2);
    const { rows } = await pool.query(`select description = $1 as same, length(description) as chars from app.jobs where job_url = 'https://p/big/1'`, [bigDescription]);
    t.same(rows[0], { same: true, chars: bigDescription.length }, 'the 10 MB description round-trips exactly');
    expectedJobs += 2;

    // Over the 16 MB record limit the CSV parser cannot find the next row: the import stops there and says so (exit 1).
    const huge = [
      'site,job_url,title,company,description',
      csvLine(['poison', 'https://p/big/3', 'Before Seventeen Megabytes', 'Big Corp C', 'small']),
      csvLine(['poison', 'https://p/big/4', 'Seventeen Megabytes', 'Big Corp D', 'x'.repeat(17 * 1024 * 1024)]),
      csvLine(['poison', 'https://p/big/5', 'After Seventeen Megabytes', 'Big Corp E', 'small']),
    ].join('\n');
    const h = await poison('CSV with a 17 MB row', () => importFile('huge.csv', huge), importOutcome);
    t.equal(h.code, 1, 'exit 1: the rest of the file was not read');
    t.equal(h.summary.inserted, 1, 'the row before it landed');
    t.match(h.summary.fatal, { line: 3, reason: /a row longer than 16777216 bytes starts here; the rest of the file cannot be read/ });
    expectedJobs += 1;
  });

  await t.test('import: negative, absurd, NaN and non-numeric salaries', async (t) => {
    const rows: Array<[string, string, string]> = [
      ['-50000', '', 'negative'], // line 2
      ['1e30', '', 'too large'], // 3
      ['100000', '1e30', 'too large'], // 4
      ['lots of money', '', 'not an amount'], // 5
      ['200000', '100000', 'min_amount is greater than max_amount'], // 6
      ['NaN', 'NaN', ''], // 7: pandas' missing value: stored as unknown
      ['120000', '150000', ''], // 8: fine
      ['Infinity', '', 'not an amount|too large'], // 9
      ['99999999999', '', 'too large'], // 10: over numeric(12, 2)
    ];
    const content = ['site,job_url,title,company,min_amount,max_amount', ...rows.map(([min, max], i) => csvLine(['poison', `https://p/s/${i}`, `Salary Case ${i}`, `Salary Corp ${i}`, min, max]))].join('\n');
    const r = await poison('CSV with negative, 1e30, NaN, text and Infinity salaries', () => importFile('salaries.csv', content), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    const refused = rows.map((row, i) => (row[2] ? i + 2 : 0)).filter(Boolean);
    t.same(linesOf(r.summary), refused, 'every bad amount is refused by line');
    for (const line of refused) t.match(reasonAt(r.summary, line), new RegExp(rows[line - 2][2]), `line ${line}: ${reasonAt(r.summary, line)}`);
    t.match(await stored('https://p/s/5'), { min_amount: null, max_amount: null }, 'NaN (a missing value in pandas exports) is stored as unknown');
    t.match(await stored('https://p/s/6'), { min_amount: '120000.00', max_amount: '150000.00' });
    expectedJobs += 2;
  });

  await t.test('import: future and unparseable dates', async (t) => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const dates: Array<[string, string]> = [
      ['2099-01-01', 'out of range'], // line 2
      ['99999-01-01', 'not a date|out of range'],
      ['not a date', 'not a date'],
      ['2024-02-30', 'not a date'],
      ['03/04/2024', 'not a date'],
      ['infinity', 'not a date'],
      ["2024-01-01'; DROP TABLE app.jobs; --", 'not a date|out of range'], // starts like a date
      [tomorrow, ''], // a board in another time zone: fine
      ['2026-01-15', ''],
    ];
    const content = ['site,job_url,title,company,date_posted', ...dates.map(([d], i) => csvLine(['poison', `https://p/d/${i}`, `Date Case ${i}`, `Date Corp ${i}`, d]))].join('\n');
    const r = await poison('CSV with future, impossible and unparseable dates', () => importFile('dates.csv', content), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    const refused = dates.map((d, i) => (d[1] ? i + 2 : 0)).filter(Boolean);
    t.same(linesOf(r.summary), refused);
    for (const line of refused) t.match(reasonAt(r.summary, line), new RegExp(`date_posted .*(${dates[line - 2][1]})`), `line ${line}: ${reasonAt(r.summary, line)}`);
    expectedJobs += 2;
  });

  await t.test('import: HTML and <script> in every text field is stored as the exact text', async (t) => {
    const cols = [...TEXT_FIELDS, 'currency' as const];
    const sent: Array<Record<string, string>> = HTML.map((html, i) => {
      const row: Record<string, string> = {};
      for (const c of cols) row[c] = c === 'currency' ? '<i>x</i>' : `${html} ${c} ${i}`;
      return row;
    });
    const extra = [
      csvLine(['poison', 'https://p/h/interval', 'Html Interval', 'Html Corp I', '<b>yearly</b>', '']), // line 6
      csvLine(['poison', 'https://p/h/remote', 'Html Remote', 'Html Corp R', '', '<script>true</script>']), // line 7
    ];
    const content = [
      csvLine(cols.map((c) => CSV_HEADER[c])),
      ...sent.map((row) => csvLine(cols.map((c) => row[c]))),
    ].join('\n');
    const extraContent = ['site,job_url,title,company,interval,is_remote', ...extra].join('\n');
    const r = await poison('CSV with HTML and <script> in every text field', () => importFile('html.csv', content), importOutcome);
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, sent.length);
    t.same(r.summary.rejections, []);
    for (const row of sent) {
      const db = await stored(row.job_url);
      t.same(Object.fromEntries(cols.map((c) => [c, db?.[c]])), row, `stored exactly: ${row.title.slice(0, 40)}`);
    }
    const e = await poison('CSV with HTML in enum and boolean fields', () => importFile('html-enums.csv', extraContent), importOutcome);
    t.same(linesOf(e.summary), [2, 3]);
    t.match(reasonAt(e.summary, 2), /interval "<b>yearly<\/b>" is not yearly/);
    t.match(reasonAt(e.summary, 3), /is_remote "<script>true<\/script>" is not true or false/);
    expectedJobs += sent.length;
  });

  await t.test('import: SQL injection in every field, in a column name and in --site', async (t) => {
    const cols = [...TEXT_FIELDS, 'currency' as const];
    const injectedColumn = `title); DROP TABLE app.jobs; --`;
    const sent: Array<Record<string, string>> = SQLI.map((sqli, i) => {
      const row: Record<string, string> = {};
      for (const c of cols) row[c] = c === 'currency' ? `'OR 1=1--` : `${sqli} ${c} ${i}`;
      return row;
    });
    const content = [
      csvLine([...cols.map((c) => CSV_HEADER[c]), injectedColumn]),
      ...sent.map((row, i) => csvLine([...cols.map((c) => row[c]), `${SQLI[i]} in an unknown column`])),
    ].join('\n');
    const t0 = Date.now();
    const r = await poison('CSV with SQL injection in every text field and a column name', () => importFile('sqli.csv', content), importOutcome);
    t.ok(Date.now() - t0 < 8000, 'no pg_sleep ran');
    t.equal(r.code, 0, importOutcome(r));
    t.equal(r.summary.inserted, sent.length);
    for (const [i, row] of sent.entries()) {
      const db = await stored(row.job_url);
      t.same(Object.fromEntries(cols.map((c) => [c, db?.[c]])), row, `stored exactly: ${SQLI[i]}`);
      t.equal(db.source_raw[injectedColumn], `${SQLI[i]} in an unknown column`, 'the unknown column is kept in source_raw, as text');
    }
    expectedJobs += sent.length;

    // In typed fields: refused by line, never reaching SQL as code.
    const typed = [
      'site,job_url,title,company,min_amount,date_posted,is_remote,interval,priority',
      csvLine(['poison', 'https://p/x/1', 'Typed Sqli 1', 'Typed Corp 1', `1; DROP TABLE app.jobs; --`, '', '', '', '']),
      csvLine(['poison', 'https://p/x/2', 'Typed Sqli 2', 'Typed Corp 2', '', `' OR '1'='1`, '', '', '']),
      csvLine(['poison', 'https://p/x/3', 'Typed Sqli 3', 'Typed Corp 3', '', '', `true'; --`, '', '']),
      csvLine(['poison', 'https://p/x/4', 'Typed Sqli 4', 'Typed Corp 4', '', '', '', `yearly'); DROP TABLE app.jobs; --`, '']),
      csvLine(['poison', 'https://p/x/5', 'Typed Sqli 5', 'Typed Corp 5', '', '', '', '', `0; DELETE FROM app.jobs`]),
    ].join('\n');
    const x = await poison('CSV with SQL injection in numeric, date, boolean, enum and priority fields', () => importFile('sqli-typed.csv', typed), importOutcome);
    t.same(linesOf(x.summary), [3, 4, 5, 6]);
    // Salary text is parsed leniently ("$120K", "120,000 USD"): the number is taken, the text kept in source_raw.
    t.match(await stored('https://p/x/1'), { min_amount: '1.00', source_raw: { min_amount: `1; DROP TABLE app.jobs; --` } }, 'an amount followed by SQL: the amount, and the text kept as text');
    expectedJobs += 1;
    t.match(reasonAt(x.summary, 3), /date_posted .* is not a date/);
    t.match(reasonAt(x.summary, 4), /is_remote .* is not true or false/);
    t.match(reasonAt(x.summary, 5), /interval .* is not yearly/);
    t.match(reasonAt(x.summary, 6), /priority .* is not a number/);

    const site = `x'); DROP TABLE app.jobs; --`;
    const s = await poison('--site with SQL injection', () => importFile('site.csv', 'job_url,title,company\nhttps://p/site/1,Site Sqli,Site Corp\n', ['--site', site]), importOutcome);
    t.equal(s.summary.inserted, 1, importOutcome(s));
    t.equal((await stored('https://p/site/1')).site, site, '--site stored as text');
    expectedJobs += 1;
  });

  const schemaIntact = async () => {
    const { rows } = await pool.query(
      `select to_regclass('app.jobs') is not null as jobs, to_regclass('app.job_reviews') is not null as reviews,
              to_regclass('graphile_worker._private_jobs') is not null as queue, to_regnamespace('app') is not null as app`,
    );
    return rows[0];
  };
  t.same(await schemaIntact(), { jobs: true, reviews: true, queue: true, app: true }, 'after the imports: every table and schema still there');
  t.equal(await count(pool, `select count(*)::int n from app.jobs`), expectedJobs, `after the imports: exactly the ${expectedJobs} good rows stored`);

  // ================================================================ GraphQL

  const created: string[] = [];
  const createJob = `mutation($input: CreateJobInput!) { createJob(input: $input) { result { rowId title } } }`;
  const jobInput = (i: string, extra: Record<string, unknown> = {}) => ({ site: 'poison-api', jobUrl: `https://p/api/${i}`, title: `Api Case ${i}`, company: `Api Corp ${i}`, ...extra });

  await t.test('GraphQL: HTML and SQL injection in every text field (variables and inline literals) round-trip exactly', async (t) => {
    const cols = [...TEXT_FIELDS, 'currency' as const];
    const payloads = [...HTML, ...SQLI];
    for (const [i, p] of payloads.entries()) {
      const row: Record<string, string> = {};
      for (const c of cols) row[c] = `${p} ${c} api${i}`;
      const input = Object.fromEntries(cols.map((c) => [GQL_FIELD[c], row[c]]));
      // Half in variables, half inlined into the query text as GraphQL string literals.
      const r = await poison(
        `createJob with ${i < HTML.length ? 'HTML' : 'SQL injection'} in every field (${i % 2 ? 'inline' : 'variables'})`,
        () => (i % 2 ? gql(`mutation { createJob(input: {${Object.entries(input).map(([k, v]) => `${k}: ${gqlString(v)}`).join(', ')}}) { result { rowId title } } }`) : gql(createJob, { input })),
        gqlOutcome,
      );
      t.equal(r.status, 200);
      t.notOk(r.body.errors, gqlOutcome(r));
      t.equal(r.body.data?.createJob?.result?.title, row.title, 'the API answers the exact text');
      const db = await stored(row.job_url);
      t.same(Object.fromEntries(cols.map((c) => [c, db?.[c]])), row, `stored exactly: ${p}`);
      created.push(db.id);
      const back = await gql(`query($id: UUID!) { job(rowId: $id) { title description company } }`, { id: db.id });
      t.same(back.body.data?.job, { title: row.title, description: row.description, company: row.company }, 'read back exactly');
    }
    expectedJobs += payloads.length;
  });

  await t.test('GraphQL: SQL injection in filter, condition, ordering and id arguments', async (t) => {
    for (const [i, p] of SQLI.entries()) {
      const r = await poison(`jobs(filter) with SQL injection ${i + 1}`, () => gql(`{ jobs(filter: {or: [{title: {equalTo: ${gqlString(p)}}}, {company: {includes: ${gqlString(p)}}}]}) { totalCount } }`), gqlOutcome);
      t.notOk(r.body.errors, gqlOutcome(r));
      const expected = await count(pool, `select count(*)::int n from app.jobs where title = $1 or strpos(company, $1) > 0`, [p]);
      t.ok(expected >= 2, 'the import and the API each stored one company containing it');
      t.equal(r.body.data?.jobs?.totalCount, expected, `matches exactly the postings whose company contains the text: ${p}`);
    }
    const t0 = Date.now();
    const sleep = await poison('jobs(condition) with a pg_sleep injection', () => gql(`query($t: String) { jobs(condition: {title: $t}) { totalCount } }`, { t: `x'||pg_sleep(10)||'` }), gqlOutcome);
    t.equal(sleep.body.data?.jobs?.totalCount, 0);
    t.ok(Date.now() - t0 < 5000, 'no pg_sleep ran');
    const id = await poison('job(rowId) with SQL injection', () => gql(`{ job(rowId: "1' OR '1'='1") { title } }`), gqlOutcome);
    t.match(id.body.errors?.[0]?.message, /Invalid UUID/);
    const order = await poison('jobs(orderBy) with SQL injection', () => gql(`{ jobs(orderBy: [TITLE_ASC, "1; DROP TABLE app.jobs"]) { totalCount } }`), gqlOutcome);
    t.match(order.body.errors?.[0]?.message, /Enum "JobOrderBy" cannot represent non-enum value/);
    const first = await poison('jobs(first) with SQL injection', () => gql(`{ jobs(first: "10; DROP TABLE app.jobs") { totalCount } }`), gqlOutcome);
    t.match(first.body.errors?.[0]?.message, /Int cannot represent non-integer value/);
    const archive = await poison('archiveJob(jobId) with SQL injection in a variable', () => gql(`mutation($id: UUID!) { archiveJob(input: {jobId: $id}) { result { status } } }`, { id: `'; DELETE FROM app.jobs; --` }), gqlOutcome);
    t.match(archive.body.errors?.[0]?.message, /Invalid UUID/);
  });

  await t.test('GraphQL: negative, absurd and NaN salaries; future and unparseable dates; a NUL character', async (t) => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a negative salary', { minAmount: '-5' }, /violates check constraint "jobs_min_amount_check"/],
      ['a 1e30 salary', { minAmount: '1e30' }, /numeric field overflow/],
      ['a NaN salary', { minAmount: 'NaN' }, /violates check constraint "jobs_amounts_not_nan"/],
      ['a NaN max salary', { maxAmount: 'NaN' }, /violates check constraint "jobs_amounts_not_nan"/],
      ['an Infinity salary', { maxAmount: 'Infinity' }, /numeric field overflow/],
      ['a text salary', { minAmount: 'lots of money' }, /invalid input syntax for type numeric: "lots of money"/],
      ['min above max', { minAmount: '200', maxAmount: '100' }, /violates check constraint "jobs_amount_range_check"/],
      ['a date in 2099', { datePosted: '2099-01-01' }, /date_posted 2099-01-01 is more than a year in the future/],
      ['a date in year 99999', { datePosted: '99999-01-01' }, /date_posted .* is more than a year in the future/],
      ['an infinite date', { datePosted: 'infinity' }, /jobs_date_posted_finite|more than a year in the future|invalid/],
      ['a -infinity date', { datePosted: '-infinity' }, /jobs_date_posted_finite|invalid/],
      ['an unparseable date', { datePosted: 'yesterday-ish' }, /invalid input syntax for type date: "yesterday-ish"/],
      ['an impossible date', { datePosted: '2024-02-30' }, /date\/time field value out of range|invalid/],
      ['a NUL character in the title', { title: 'Nul \u0000 Title' }, /invalid byte sequence for encoding "UTF8": 0x00/],
      ['a priority out of range', { priority: 99999 }, /priority must be from -32768 to 32767/],
      ['an HTML interval', { interval: '<b>yearly</b>' }, /violates check constraint "jobs_interval_check"/],
    ];
    for (const [i, [what, extra, expected]] of cases.entries()) {
      const r = await poison(`createJob with ${what}`, () => gql(createJob, { input: jobInput(`bad-${i}`, extra) }), gqlOutcome);
      t.match(r.body.errors?.[0]?.message, expected, `${what}: ${gqlOutcome(r)}`);
      t.notOk(r.body.data?.createJob, 'nothing created');
    }
    t.equal(await count(pool, `select count(*)::int n from app.jobs where job_url like 'https://p/api/bad-%'`), 0, 'none of them stored');
    const ok = await poison('createJob with tomorrow as date_posted', () => gql(createJob, { input: jobInput('tomorrow', { datePosted: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) }) }), gqlOutcome);
    t.notOk(ok.body.errors, 'a date one day ahead (time zones) is fine');
    expectedJobs += 1;
  });

  await t.test('GraphQL: invalid UTF-8 and malformed JSON bodies', async (t) => {
    const json = JSON.stringify({ query: createJob, variables: { input: jobInput('utf8', { title: 'Bad UTF8 @@' }) } });
    const [a, b] = json.split('@@');
    const bytes = Buffer.concat([Buffer.from(a), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(b)]);
    const r = await poison('GraphQL body with invalid UTF-8', () => gqlRaw(new Uint8Array(bytes)), gqlOutcome);
    t.notOk(r.body.errors, gqlOutcome(r));
    t.equal((await stored('https://p/api/utf8')).title, 'Bad UTF8 \uFFFD\uFFFD\uFFFD', 'the invalid bytes arrive as U+FFFD replacement characters: valid text, nothing invalid stored');
    expectedJobs += 1;
    const m = await poison('GraphQL malformed JSON body', () => gqlRaw('{"query": "{ jobs { totalCount } }"'), gqlOutcome);
    t.equal(m.status, 400);
    t.match(m.body.errors?.[0]?.message, /Parsing failed/);
  });

  await t.test('GraphQL: a 10 MB description and a 1 MB query are refused with 413', async (t) => {
    const big = await poison('createJob with a 10 MB description', () => gql(createJob, { input: jobInput('big', { description: bigDescription }) }), gqlOutcome);
    t.equal(big.status, 413);
    t.match(big.body.errors?.[0]?.message, /larger than the limit of \d+ \(API_BODY_LIMIT\)/);
    const mb = `{ jobs { totalCount } } # ${'x'.repeat(1024 * 1024)}`;
    const q = await poison('a 1 MB GraphQL query', () => gql(mb), gqlOutcome);
    t.equal(q.status, 413);
    t.match(q.body.errors?.[0]?.message, /larger than the limit/);
    const chunked = await poison('a 1 MB GraphQL query, chunked (no Content-Length)', () => {
      const payload = Buffer.from(JSON.stringify({ query: mb }));
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < payload.length; i += 65536) c.enqueue(new Uint8Array(payload.subarray(i, i + 65536)));
          c.close();
        },
      });
      return fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
        body: stream,
        duplex: 'half',
        signal: AbortSignal.timeout(30_000),
      } as RequestInit).then(async (res) => ({ status: res.status, body: await res.json().catch(() => ({})) }), (e: Error) => ({ status: 0, body: { errors: [{ message: e.message }] } }));
    }, gqlOutcome);
    t.equal(chunked.status, 413, gqlOutcome(chunked));
  });

  await t.test('GraphQL: deep nesting, 1,000 aliases and a fragment bomb', async (t) => {
    let deep = '{ rowId }';
    for (let i = 0; i < 10; i++) deep = `{ jobReview { job ${deep} } }`;
    const d = await poison('a query 23 fields deep', () => gql(`{ jobs { nodes ${deep} } }`), gqlOutcome);
    t.match(d.body.errors?.[0]?.message, /Query is too deep: depth 23 exceeds the limit of 12/);
    const braces = `{ jobs { nodes { ${'jobReview { job { '.repeat(2000)} rowId ${'} } '.repeat(2000)} } } }`;
    const b = await poison('a query nested 4,000 levels', () => gql(braces), gqlOutcome);
    t.equal(b.status, 400);
    t.match(b.body.errors?.[0]?.message, /nested too deeply: more than 256 levels/);
    const list = await poison('an argument list nested 5,000 levels', () => gql(`{ jobs(filter: {rowId: {in: ${'['.repeat(5000)}${']'.repeat(5000)}}}) { totalCount } }`), gqlOutcome);
    t.match(list.body.errors?.[0]?.message, /nested too deeply/);
    let filter = '{title: {equalTo: "x"}}';
    for (let i = 0; i < 300; i++) filter = `{and: [${filter}]}`;
    const f = await poison('a filter nested 300 levels', () => gql(`{ jobs(filter: ${filter}) { totalCount } }`), gqlOutcome);
    t.match(f.body.errors?.[0]?.message, /nested too deeply/);
    const aliases = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: jobs(first: 100) { nodes { description title } }`).join(' ')} }`;
    const a = await poison('1,000 aliases of a list with descriptions', () => gql(aliases), (r) => `${gqlOutcome(r)} (${r.bytes} bytes)`);
    t.match(a.body.errors?.[0]?.message, /too many aliases: 1000 exceeds the limit of 100/);
    t.ok(a.bytes < 10_000, 'a short error, not a response 1,000 times the data');
    const bomb = `{ ...F0 } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { x${i}: __typename ...F${i + 1} y${i}: __typename ...F${i + 1} }`).join(' ')} fragment F30 on Query { jobs { totalCount } }`;
    const fb = await poison('a fragment bomb (30 fragments each spreading the next twice)', () => gql(bomb), gqlOutcome);
    t.match(fb.body.errors?.[0]?.message, /too many aliases/);
    const fine = await gql(`{ ${Array.from({ length: 100 }, (_, i) => `a${i}: jobs(first: 1) { totalCount }`).join(' ')} }`);
    t.notOk(fine.body.errors, '100 aliases are still fine');
  });

  // ================================================================ REST

  await t.test('REST: SQL injection, bad types, invalid UTF-8, malformed and oversized bodies', async (t) => {
    const cases: Array<[string, () => Promise<{ status: number; body: { error?: string; reason?: string } }>, number, RegExp]> = [
      ['status/{job_id} with SQL injection', () => rest('GET', `/job-review/status/${encodeURIComponent(`1' OR '1'='1`)}`), 400, /job_id: "1' OR '1'='1" is not a UUID/],
      ['test/{job_id} with SQL injection', () => rest('POST', `/job-review/test/${encodeURIComponent(`'; DROP TABLE app.jobs; --`)}`), 400, /is not a UUID/],
      ['queue with SQL injection as limit', () => rest('POST', '/job-review/queue', JSON.stringify({ limit: '1; DROP TABLE app.jobs' })), 400, /limit: /],
      ['queue with a negative limit', () => rest('POST', '/job-review/queue', JSON.stringify({ limit: -1 })), 400, /limit: /],
      ['queue with limit 1e30', () => rest('POST', '/job-review/queue', JSON.stringify({ limit: 1e30 })), 400, /limit: /],
      ['queue with an injected key', () => rest('POST', '/job-review/queue', JSON.stringify({ "limit) ; DROP TABLE app.jobs; --": 1 })), 400, /Unrecognized key/],
      ['requeue with SQL injection in job_ids', () => rest('POST', '/job-review/requeue', JSON.stringify({ job_ids: [`' OR 1=1 --`] })), 400, /job_ids\.0: /],
      ['queue with malformed JSON', () => rest('POST', '/job-review/queue', '{"limit": 5'), 400, /not valid JSON/],
      ['queue with invalid UTF-8', () => rest('POST', '/job-review/queue', new Uint8Array(Buffer.concat([Buffer.from('{"limit": 5, "x'), Buffer.from([0xff]), Buffer.from('": 1}')]))), 400, /not valid UTF-8/],
      ['queue with a 10 MB body', () => rest('POST', '/job-review/queue', JSON.stringify({ limit: 5, pad: bigDescription })), 413, /larger than \d+ bytes/],
    ];
    for (const [what, run, status, reason] of cases) {
      const r = await poison(`REST ${what}`, run, restOutcome);
      t.equal(r.status, status, `${what}: ${restOutcome(r)}`);
      t.match(r.body.reason, reason);
    }
  });

  // ================================================================ after all of it

  t.same(await schemaIntact(), { jobs: true, reviews: true, queue: true, app: true }, 'every table and schema still there');
  t.equal(await count(pool, `select count(*)::int n from app.jobs`), expectedJobs, `exactly the ${expectedJobs} postings that were meant to be stored`);
  t.equal(serverExit, null, 'the API process is still running');
  await readyz('the last poison input');
  const health = await fetch(`${base}/healthz`).then((r) => r.status);
  t.equal(health, 200);
  t.notMatch(serve.output(), /Maximum call stack|FATAL|unhandled/i, 'no stack overflow or crash in the server log');

  // The poison that was stored is ordinary work for a worker: each original reviewed once.
  const originals = await count(pool, `select count(*)::int n from app.jobs where status <> 'duplicate'`);
  const worker = await spawnWorker(url, { WORKER_CONCURRENCY: '4', JOB_REVIEW_MIN_SALARY: '0', JOB_REVIEW_MAX_AGE_DAYS: '36500' });
  t.teardown(() => stopWorker(worker));
  await waitFor(`${originals} postings reviewed`, async () => (await count(pool, `select count(*)::int n from app.jobs where status in ('reviewed', 'error')`)) === originals, 60_000, 200);
  const f = await figures(pool);
  t.equal(f.statuses.error ?? 0, 0, 'no review failed on poison text');
  t.equal(f.reviewsWritten, originals, 'one review write per stored posting');
  t.equal(f.duplicates, 0);
  await readyz('the reviews');

  const rejected = outcomes.length;
  reportRow(t, {
    scenario: '5 poison input',
    faults: `${rejected} poison inputs (${outcomes.filter((o) => o.input.startsWith('CSV') || o.input.startsWith('NDJSON') || o.input.startsWith('--site')).length} imports, ${outcomes.filter((o) => !o.input.startsWith('REST') && !/^(CSV|NDJSON|--site)/.test(o.input)).length} GraphQL, ${outcomes.filter((o) => o.input.startsWith('REST')).length} REST)`,
    postingsExpected: originals,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: `/readyz 200 on all ${readyChecks} checks; slowest poison call ${(slowest.ms / 1000).toFixed(1)} s (${slowest.input}); every refusal names the problem; stored text round-trips exactly; injections had no effect`,
  });
  for (const o of outcomes) t.comment(`  ${o.input}: ${o.got}`);
});
