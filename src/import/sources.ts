// Reading an import file as a stream of records, each with the line it
// starts on: CSV (csv-parse), a JSON array (a small streaming splitter: one
// element in memory at a time) or NDJSON. A record that cannot be read
// (broken quoting, invalid UTF-8, malformed JSON) comes out as an error with
// its line, and reading goes on; only a file that is not of its format at all
// ends the stream early, with a fatal error.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { isUtf8 } from 'node:buffer';
import { Transform, type Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';

export const IMPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export type SourceItem =
  | { line: number; record: Record<string, unknown> }
  | { line: number; error: string; fatal?: boolean };

/** Longest single record accepted (one CSV row, JSON element or NDJSON line). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** The format from the extension; a .json file whose first character is `{` is NDJSON. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith('[')) return 'json';
    if (head.startsWith('{')) return 'ndjson';
    return 'csv';
  } finally {
    await fh.close();
  }
}

function decodeRecord(bytes: Buffer, line: number): SourceItem | null {
  let start = 0;
  let end = bytes.length;
  while (start < end && (bytes[start] === 0x20 || bytes[start] === 0x09 || bytes[start] === 0x0d || bytes[start] === 0x0a)) start++;
  while (end > start && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0x09 || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x0a)) end--;
  if (start === end) return null;
  const slice = bytes.subarray(start, end);
  if (!isUtf8(slice)) return { line, error: 'invalid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(slice.toString('utf8'));
  } catch (error) {
    return { line, error: `malformed JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line, error: 'not a JSON object' };
  return { line, record: value as Record<string, unknown> };
}

async function* ndjsonRecords(stream: Readable): AsyncGenerator<SourceItem> {
  let line = 0;
  let parts: Buffer[] = [];
  let pending = 0;
  let tooLong = false;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      if (nl === -1) break;
      line++;
      if (tooLong) {
        yield { line, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
      } else {
        parts.push(chunk.subarray(from, nl));
        const item = decodeRecord(parts.length === 1 ? parts[0] : Buffer.concat(parts), line);
        if (item) yield item;
      }
      parts = [];
      pending = 0;
      tooLong = false;
      from = nl + 1;
    }
    if (from < chunk.length && !tooLong) {
      parts.push(chunk.subarray(from));
      pending += chunk.length - from;
      if (pending > MAX_RECORD_BYTES) {
        tooLong = true;
        parts = [];
      }
    }
  }
  if (parts.length > 0 || tooLong) {
    line++;
    if (tooLong) yield { line, error: `line longer than ${MAX_RECORD_BYTES} bytes` };
    else {
      const item = decodeRecord(Buffer.concat(parts), line);
      if (item) yield item;
    }
  }
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** Elements of a top-level JSON array, one at a time, each with the line it starts on. */
async function* jsonArrayRecords(stream: Readable): AsyncGenerator<SourceItem> {
  type State = 'start' | 'between' | 'element' | 'after' | 'end';
  let state: State = 'start';
  let line = 1;
  let depth = 0;
  let inString = false;
  let escape = false;
  let parts: Buffer[] = [];
  let pending = 0;
  let elementLine = 0;
  let first = true;
  const out: SourceItem[] = [];

  const finish = (chunk: Buffer, from: number, to: number) => {
    parts.push(chunk.subarray(from, to));
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    parts = [];
    pending = 0;
    if (bytes.length > MAX_RECORD_BYTES) out.push({ line: elementLine, error: `element longer than ${MAX_RECORD_BYTES} bytes` });
    else {
      const item = decodeRecord(bytes, elementLine);
      if (item) out.push(item);
    }
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let i = 0;
    if (first) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    let elementFrom = state === 'element' ? 0 : -1;
    for (; i < chunk.length; i++) {
      const b = chunk[i];
      switch (state) {
        case 'start':
          if (WS.has(b)) break;
          if (b !== 0x5b) {
            yield { line, error: 'not a JSON array: the file must start with [', fatal: true };
            return;
          }
          state = 'between';
          break;
        case 'between':
          if (WS.has(b)) break;
          if (b === 0x5d) {
            state = 'end';
            break;
          }
          state = 'element';
          elementLine = line;
          elementFrom = i;
          depth = 0;
          inString = false;
          escape = false;
          i--; // look at this byte again as part of the element
          continue;
        case 'element':
          if (inString) {
            if (escape) escape = false;
            else if (b === 0x5c) escape = true;
            else if (b === 0x22) inString = false;
          } else if (b === 0x22) inString = true;
          else if (b === 0x7b || b === 0x5b) depth++;
          else if ((b === 0x7d || b === 0x5d) && depth > 0) {
            depth--;
            if (depth === 0) {
              finish(chunk, elementFrom, i + 1);
              elementFrom = -1;
              state = 'after';
            }
          } else if (depth === 0 && (b === 0x2c || b === 0x5d)) {
            // The end of a scalar element (which is not an object: reported).
            finish(chunk, elementFrom, i);
            elementFrom = -1;
            state = b === 0x2c ? 'between' : 'end';
          }
          break;
        case 'after':
          if (WS.has(b)) break;
          if (b === 0x2c) state = 'between';
          else if (b === 0x5d) state = 'end';
          else {
            yield* out.splice(0);
            yield { line, error: 'malformed JSON array: expected , or ] after the element', fatal: true };
            return;
          }
          break;
        case 'end':
          if (WS.has(b)) break;
          yield* out.splice(0);
          yield { line, error: 'malformed JSON array: data after the closing ]', fatal: true };
          return;
      }
      if (b === 0x0a) line++;
    }
    if (state === 'element' && elementFrom >= 0) {
      parts.push(chunk.subarray(elementFrom));
      pending += chunk.length - elementFrom;
      if (pending > MAX_RECORD_BYTES) {
        yield* out.splice(0);
        yield { line: elementLine, error: `element longer than ${MAX_RECORD_BYTES} bytes; the rest of the file cannot be read`, fatal: true };
        return;
      }
    }
    yield* out.splice(0);
  }
  if (state === 'start') yield { line, error: 'empty file: expected a JSON array', fatal: true };
  else if (state === 'element') yield { line: elementLine, error: 'unexpected end of file inside this element (the array is not closed)', fatal: true };
  else if (state !== 'end') yield { line, error: 'unexpected end of file: the JSON array is not closed with ]', fatal: true };
}

function csvReason(error: CsvError, columns: number): string {
  switch (error.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'broken quoting: a quote inside a quoted field must be doubled ("")';
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'broken quoting: a quoted field is never closed';
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
    case 'CSV_RECORD_INCONSISTENT_COLUMNS': {
      const n = (error as CsvError & { record?: unknown[] }).record?.length;
      return `has ${n ?? 'a different number of'} fields; the header has ${columns}`;
    }
    default:
      return error.message;
  }
}

async function* csvRecords(stream: Readable, delimiter: string): AsyncGenerator<SourceItem> {
  const parser = parse({
    encoding: null, // fields arrive as bytes, so invalid UTF-8 is caught per row
    info: true,
    delimiter,
    skip_records_with_error: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
  // Reasons are worded when they are yielded: the header may not be known yet when the parser skips.
  const skipped: Array<{ line: number; cause: CsvError }> = [];
  let columns: string[] | undefined;
  parser.on('skip', (error: CsvError & { lines?: number }) => {
    const line = error.lines ?? 0;
    if (skipped.length && skipped[skipped.length - 1].line === line) return; // one report per record
    skipped.push({ line, cause: error });
  });
  stream.on('error', (e) => parser.destroy(e));
  stream.pipe(parser);
  let prevEnd = 0;
  let prevEmpty = 0;
  for await (const item of parser as AsyncIterable<{ record: Buffer[]; info: { lines: number; empty_lines: number } }>) {
    const { record, info } = item;
    while (skipped.length && skipped[0].line < info.lines) {
      const s = skipped.shift()!;
      if (s.cause.code === 'CSV_MAX_RECORD_SIZE') {
        yield { line: prevEnd + 1, error: `a row longer than ${MAX_RECORD_BYTES} bytes starts here; the rest of the file cannot be read`, fatal: true };
        return;
      }
      prevEnd = Math.max(prevEnd, s.line);
      yield { line: s.line, error: csvReason(s.cause, columns?.length ?? 0) };
    }
    const line = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    if (!columns) {
      if (!record.every((f) => isUtf8(f))) {
        yield { line, error: 'invalid UTF-8 in the header', fatal: true };
        return;
      }
      columns = record.map((f, i) => {
        const s = f.toString('utf8');
        return i === 0 ? s.replace(/^\uFEFF/, '') : s;
      });
      continue;
    }
    const bad = record.findIndex((f) => !isUtf8(f));
    if (bad !== -1) {
      yield { line, error: `invalid UTF-8 in column ${columns[bad] ?? bad + 1}` };
      continue;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) out[columns[i]] = record[i]?.toString('utf8') ?? '';
    yield { line, record: out };
  }
  for (const s of skipped) {
    if (s.cause.code === 'CSV_MAX_RECORD_SIZE') {
      // csv-parse cannot resync after an over-long record: it stops reading. Say so, rather than end as if the file ended there.
      yield { line: prevEnd + 1, error: `a row longer than ${MAX_RECORD_BYTES} bytes starts here; the rest of the file cannot be read`, fatal: true };
      return;
    }
    if (s.cause.code === 'CSV_QUOTE_NOT_CLOSED') {
      // Found at the end of the file; the quote was opened in the record after the last good one.
      const start = prevEnd + 1;
      yield { line: start, error: `broken quoting: a quoted field is never closed (it runs from this line to the end of the file, line ${s.line}, so those lines are not read as rows)` };
      prevEnd = s.line;
      continue;
    }
    prevEnd = Math.max(prevEnd, s.line);
    yield { line: s.line, error: csvReason(s.cause, columns?.length ?? 0) };
  }
}

export interface ReadOptions {
  format: ImportFormat;
  /** Called with the number of bytes read so far. */
  onBytes?: (bytes: number) => void;
}

export function readRecords(file: string, opts: ReadOptions): AsyncGenerator<SourceItem> {
  const file$ = createReadStream(file, { highWaterMark: 256 * 1024 });
  let bytes = 0;
  const onBytes = opts.onBytes;
  // Counting in a pass-through keeps the stream paused between reads (backpressure).
  const stream: Readable = onBytes
    ? file$.pipe(
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            bytes += chunk.length;
            onBytes(bytes);
            done(null, chunk);
          },
        }),
      )
    : file$;
  if (stream !== file$) file$.on('error', (e) => stream.destroy(e));
  switch (opts.format) {
    case 'ndjson':
      return ndjsonRecords(stream);
    case 'json':
      return jsonArrayRecords(stream);
    case 'csv':
      return csvRecords(stream, extname(file).toLowerCase() === '.tsv' ? '\t' : ',');
  }
}
