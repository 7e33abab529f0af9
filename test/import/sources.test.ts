import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectFormat, readRecords, type SourceItem } from '../../src/import/sources.ts';

const dir = mkdtempSync(join(tmpdir(), 'jr-sources-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, content: Buffer | string, format?: 'csv' | 'json' | 'ndjson'): Promise<SourceItem[]> {
  const file = join(dir, name);
  writeFileSync(file, content);
  const out: SourceItem[] = [];
  for await (const item of readRecords(file, { format: format ?? (await detectFormat(file)) })) out.push(item);
  return out;
}

t.test('CSV: lines of good rows, broken quoting, invalid UTF-8, wrong field count, multi-line fields, BOM', async (t) => {
  const items = await read(
    'a.csv',
    Buffer.concat([
      Buffer.from('\uFEFFtitle,company,job_url\nA,B,u1\n"Bad "quote" here",C,u2\nD,E,u3\n\n"multi\nline",F,u4\nG,'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(',u5\nH,I,u6,extra\nJ,K,u7\n'),
    ]),
  );
  t.same(items, [
    { line: 2, record: { title: 'A', company: 'B', job_url: 'u1' } },
    { line: 3, error: 'broken quoting: a quote inside a quoted field must be doubled ("")' },
    { line: 4, record: { title: 'D', company: 'E', job_url: 'u3' } },
    { line: 6, record: { title: 'multi\nline', company: 'F', job_url: 'u4' } },
    { line: 8, error: 'invalid UTF-8 in column company' },
    { line: 9, error: 'has 4 fields; the header has 3' },
    { line: 10, record: { title: 'J', company: 'K', job_url: 'u7' } },
  ]);
});

t.test('JSON array: one element at a time, each with its line; strings with brackets; bad elements reported', async (t) => {
  const items = await read(
    'a.json',
    Buffer.concat([
      Buffer.from('[\n {"title": "A", "x": [1,{"y":"}]"}]},\n {"title": "B\\"}"},\n {"title": "'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"},\n {"bad": tru},\n 5,\n {"ok": 1}\n]\n'),
    ]),
  );
  t.same(items.map((i) => ('record' in i ? [i.line, i.record] : [i.line, i.error.replace(/:.*/, '')])), [
    [2, { title: 'A', x: [1, { y: '}]' }] }],
    [3, { title: 'B"}' }],
    [4, 'invalid UTF-8'],
    [5, 'malformed JSON'],
    [6, 'not a JSON object'],
    [7, { ok: 1 }],
  ]);
  const unclosed = await read('b.json', '[{"a": 1},\n{"b": 2');
  t.same(unclosed.at(-1), { line: 2, error: 'unexpected end of file inside this element (the array is not closed)', fatal: true });
  const notArray = await read('c.json', '  "x"', 'json');
  t.equal(notArray.length, 1);
  t.equal((notArray[0] as { fatal?: boolean }).fatal, true);
});

t.test('NDJSON: CRLF, blank lines, invalid UTF-8, a last line without newline', async (t) => {
  const items = await read('a.ndjson', Buffer.concat([Buffer.from('{"a":1}\r\n\n{"b":2\n'), Buffer.from([0xff]), Buffer.from('\n[1]\n{"c":3}')]));
  t.same(items.map((i) => ('record' in i ? [i.line, i.record] : [i.line, i.error.replace(/:.*/, '')])), [
    [1, { a: 1 }],
    [3, 'malformed JSON'],
    [4, 'invalid UTF-8'],
    [5, 'not a JSON object'],
    [6, { c: 3 }],
  ]);
});

t.test('format detection', async (t) => {
  writeFileSync(join(dir, 'x.json'), '\n {"a":1}\n');
  t.equal(await detectFormat(join(dir, 'x.json')), 'ndjson', 'a .json file of objects per line');
  writeFileSync(join(dir, 'y.json'), '\uFEFF[ ]');
  t.equal(await detectFormat(join(dir, 'y.json')), 'json');
  t.equal(await detectFormat(join(dir, 'a.csv')), 'csv');
});
