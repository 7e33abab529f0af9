// `job-review import` through the real binary: good rows land, every bad
// row is reported with its line and reason, a second import inserts nothing;
// CSV, JSON array and NDJSON.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from '../helpers/cli.ts';
import { createTestDatabase } from '../helpers/db.ts';

const db = await createTestDatabase(t);
const env = cliEnv({ DATABASE_URL: db.url });
const dir = mkdtempSync(join(tmpdir(), 'jr-import-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const header = 'site,job_url,title,company,location,is_remote,job_type,interval,min_amount,max_amount,currency,salary,date_posted,description';
const row = (...cells: string[]) => {
  if (cells.length !== 14) throw new Error(`fixture row has ${cells.length} cells`);
  return cells.join(',');
};
const csv = Buffer.concat([
  Buffer.from(
    [
      header,
      /* 2 */ row('indeed', 'https://j/1', 'Senior Engineer', 'Acme', '"Austin, TX, US"', 'True', 'fulltime', 'yearly', '190000.0', '230000.0', 'USD', '', '2026-11-20', 'Good job'),
      /* 3 */ row('indeed', 'https://j/2', '"Bad "quote" here"', 'Acme', '', '', '', '', '', '', '', '', '2026-11-20', 'x'),
      /* 4 */ 'indeed,https://j/3,Data Engineer,Glob',
    ].join('\n'),
  ),
  Buffer.from([0xff, 0xfe]),
  Buffer.from(
    [
      'ex,,,,,,,,,2026-11-20,x',
      /* 5 */ row('indeed', 'https://j/4', 'Backend Engineer', 'Initech', '', 'False', '', 'yearly', '-5', '100', 'USD', '', '2026-11-20', 'x'),
      /* 6 */ row('indeed', 'https://j/5', 'Frontend Engineer', 'Hooli', '', '', '', '', '', '', '', '', 'last tuesday', 'x'),
      /* 7 */ row('indeed', 'https://j/1', 'Senior Engineer', 'Acme', '', '', '', '', '', '', '', '', '2026-11-20', 'repeat'),
      /* 8 */ row('linkedin', 'https://j/6', 'SRE', 'Stark', 'Remote', '', '', '', '', '', '', '$45/hr', '', '"multi\nline description"'),
      /* 10 */ row('linkedin', 'https://j/7', '', 'Wayne', '', '', '', '', '', '', '', '', '', ''),
      /* 11 */ row('glassdoor', 'https://j/8', 'Senior Engineer', 'ACME Inc.', '', '', '', '', '', '', '', '$120K-$150K', '2026-11-21', 'same job'),
      '',
    ].join('\n'),
  ),
]);
// Row 4 is split around its invalid bytes; check it still has 14 cells.
if (Buffer.from(csv).toString('latin1').split('\n')[3].split(',').length !== 14) throw new Error('row 4 fixture');
const csvFile = join(dir, 'jobs.csv');
writeFileSync(csvFile, csv);

const expectedRejections = [
  { line: 3, reason: 'broken quoting: a quote inside a quoted field must be doubled ("")' },
  { line: 4, reason: 'invalid UTF-8 in column company' },
  { line: 5, reason: 'min_amount is negative (a salary cannot be)' },
  { line: 6, reason: 'date_posted "last tuesday" is not a date (use YYYY-MM-DD)' },
  { line: 10, reason: 'title is missing' },
];

const field = (out: string, label: string) => out.match(new RegExp(`^${label}:\\s+(.*)$`, 'm'))?.[1];

t.test('CSV: good rows land, each bad row reported with its line and reason', async (t) => {
  const r = await runCli(['import', csvFile], { env });
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');
  t.equal(field(r.stdout, 'Rows read'), '9');
  t.equal(field(r.stdout, 'Inserted'), '3 (1 stored as duplicates of existing postings, not queued)');
  t.equal(field(r.stdout, 'Duplicates in file'), '1');
  t.equal(field(r.stdout, 'Already present'), '0');
  t.equal(field(r.stdout, 'Rejected'), '5');
  for (const rej of expectedRejections) t.match(r.stdout, `\n  line ${rej.line}: ${rej.reason}\n`, `line ${rej.line} reported`);

  const { rows } = await db.pool.query(
    `select site, job_url, title, company, location_city, location_state, location_country, is_remote, job_type, "interval",
            min_amount, max_amount, currency, date_posted, description, status, source_raw, duplicate_of is not null as dup
       from app.jobs order by job_url`,
  );
  t.equal(rows.length, 3);
  t.same(rows[0], {
    site: 'indeed', job_url: 'https://j/1', title: 'Senior Engineer', company: 'Acme', location_city: 'Austin', location_state: 'TX',
    location_country: 'US', is_remote: true, job_type: 'fulltime', interval: 'yearly', min_amount: 190000, max_amount: 230000,
    currency: 'USD', date_posted: '2026-11-20', description: 'Good job', status: 'pending_review',
    source_raw: { site: 'indeed', job_url: 'https://j/1', title: 'Senior Engineer', company: 'Acme', location: 'Austin, TX, US', is_remote: 'True', job_type: 'fulltime', interval: 'yearly', min_amount: '190000.0', max_amount: '230000.0', currency: 'USD', date_posted: '2026-11-20' },
    dup: false,
  });
  t.match(rows[1], { job_url: 'https://j/6', title: 'SRE', is_remote: true, interval: 'hourly', min_amount: 45, max_amount: 45, currency: 'USD', description: 'multi\nline description', status: 'pending_review', date_posted: null });
  t.match(rows[2], { job_url: 'https://j/8', company: 'ACME Inc.', interval: 'yearly', min_amount: 120000, max_amount: 150000, status: 'duplicate', dup: true });
  const { rows: q } = await db.pool.query(`select key from graphile_worker._private_jobs order by key`);
  t.equal(q.length, 2, 'the two originals are queued, the duplicate is not');
});

t.test('a second import of the same file inserts nothing', async (t) => {
  const r = await runCli(['import', csvFile, '--json'], { env });
  t.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  t.match(s, { file: csvFile, format: 'csv', rows: 9, inserted: 0, stored_as_duplicate: 0, duplicates_in_file: 1, already_present: 3, rejected: 5, fatal: null });
  t.same(s.rejections, expectedRejections);
  t.equal((await db.pool.query(`select count(*)::int as n from app.jobs`)).rows[0].n, 3);
});

t.test('JSON array and NDJSON: the same rules, lines of elements and lines', async (t) => {
  const jsonFile = join(dir, 'jobs.json');
  writeFileSync(
    jsonFile,
    Buffer.concat([
      Buffer.from('[\n  {"site": "api", "job_url": "https://a/1", "title": "Staff Engineer", "company": "Tyrell", "min_amount": 200000, "max_amount": 250000, "interval": "yearly", "is_remote": true, "date_posted": "2026-11-25T10:00:00Z"},\n'),
      Buffer.from('  {"site": "api", "job_url": "https://a/2", "title": "Engineer", "company": "Tyrell", "max_amount": -1},\n'),
      Buffer.from('  {"site": "api", "job_url": "https://a/3", "title": "'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('", "company": "Tyrell"},\n  {"site": "api", "job_url": "https://a/4", "title": "Lead", "company": "Cyberdyne", "salary": "120,000 USD a year"}\n]\n'),
    ]),
  );
  const r = await runCli(['import', jsonFile, '--json'], { env });
  t.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  t.match(s, { format: 'json', rows: 4, inserted: 2, already_present: 0, rejected: 2 });
  t.same(s.rejections, [
    { line: 3, reason: 'max_amount is negative (a salary cannot be)' },
    { line: 4, reason: 'invalid UTF-8' },
  ]);
  const { rows } = await db.pool.query(`select job_url, date_posted, is_remote, min_amount, max_amount, currency, "interval" from app.jobs where site = 'api' order by job_url`);
  t.same(rows, [
    { job_url: 'https://a/1', date_posted: '2026-11-25', is_remote: true, min_amount: 200000, max_amount: 250000, currency: null, interval: 'yearly' },
    { job_url: 'https://a/4', date_posted: null, is_remote: null, min_amount: 120000, max_amount: 120000, currency: 'USD', interval: 'yearly' },
  ]);

  const ndFile = join(dir, 'jobs.ndjson');
  writeFileSync(ndFile, '{"job_url": "https://www.example.org/n/1", "title": "Principal SRE", "company": "Umbrella", "salary": "$90/hr"}\n{"job_url": "https://n/2", "company": "Umbrella"}\n\nnot json\n{"job_url": "https://n/3", "title": "SRE", "company": "Umbrella", "date_posted": "yesterday"}\n');
  const n = await runCli(['import', ndFile], { env });
  t.equal(n.code, 0, n.stderr);
  t.equal(field(n.stdout, 'Inserted'), '1');
  t.equal(field(n.stdout, 'Rejected'), '3');
  t.match(n.stdout, /\n {2}line 2: title is missing\n/);
  t.match(n.stdout, /\n {2}line 4: malformed JSON: /);
  t.match(n.stdout, /\n {2}line 5: date_posted "yesterday" is not a date/);
  const { rows: nd } = await db.pool.query(`select site, "interval", max_amount from app.jobs where job_url = 'https://www.example.org/n/1'`);
  t.same(nd, [{ site: 'example.org', interval: 'hourly', max_amount: 90 }], 'site from the URL when there is none');
});

t.test('a malformed file as a whole, a missing file, the progress bar on request', async (t) => {
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '[{"site": "b", "job_url": "https://b/1", "title": "T", "company": "C"},\n{"site": "b", "job_url": "https://b/2"');
  const r = await runCli(['import', broken, '--json'], { env });
  t.equal(r.code, 1, 'the file could not be read to the end');
  const s = JSON.parse(r.stdout);
  t.equal(s.inserted, 1, 'the rows before the break landed');
  t.same(s.fatal, { line: 2, reason: 'unexpected end of file inside this element (the array is not closed)' });
  const missing = await runCli(['import', join(dir, 'nope.csv')], { env });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^job-review: Cannot read .*nope\.csv: no such file$/m);
  const bar = await runCli(['import', csvFile, '--progress'], { env });
  t.equal(bar.code, 0);
  t.match(bar.stderr, /import \|.*\| 100% \| 0 inserted, 5 rejected/);
  const format = await runCli(['import', csvFile, '--format', 'xml'], { env });
  t.equal(format.code, 2);
});
