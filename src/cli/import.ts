// `job-review import <file>`: CSV, JSON array or NDJSON postings into
// app.jobs (src/import/). Idempotent on (site, job_url); bad rows are
// reported with their line and the good ones land.
import { access } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import type { CommandModule } from 'yargs';
import { importFile, type ImportSummary } from '../import/importer.ts';
import { IMPORT_FORMATS, type ImportFormat } from '../import/sources.ts';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { checkInt, withDatabase } from './database.ts';
import { fields } from './format.ts';
import { runCommand } from './run-command.ts';

interface ImportArgs extends GlobalArgs {
  file: string;
  format?: string;
  site?: string;
  batchSize?: number;
  progress?: boolean;
}

export function renderImport(s: ImportSummary): string {
  const lines = [
    fields([
      ['File', `${s.file} (${s.format})`],
      ['Rows read', s.rows],
      ['Inserted', s.inserted + (s.stored_as_duplicate ? ` (${s.stored_as_duplicate} stored as duplicates of existing postings, not queued)` : '')],
      ['Duplicates in file', s.duplicates_in_file],
      ['Already present', s.already_present],
      ['Rejected', s.rejected],
      ['Time', `${(s.duration_ms / 1000).toFixed(1)} s`],
    ]),
  ];
  if (s.rejections.length) {
    lines.push('', 'Rejected rows:', ...s.rejections.map((r) => `  line ${r.line}: ${r.reason}`));
    if (s.rejected > s.rejections.length) lines.push(`  ... and ${s.rejected - s.rejections.length} more`);
  }
  if (s.fatal) lines.push('', `Stopped at line ${s.fatal.line}: ${s.fatal.reason}`);
  return lines.join('\n');
}

export const importCommand: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <file>',
  describe: 'Import postings from CSV, a JSON array or NDJSON (JobSpy column names and common variants); re-importing is idempotent on (site, job_url); bad rows are reported with their line and the rest land',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'The file (.csv, .tsv, .json, .ndjson, .jsonl)' })
      .option('format', { type: 'string', choices: IMPORT_FORMATS as unknown as string[], describe: 'Override the format guessed from the extension and first character' })
      .option('site', { type: 'string', describe: 'site for rows without one (default: the host of the job URL)' })
      .option('batch-size', { type: 'number', default: 500, describe: 'Rows per INSERT' })
      .option('progress', { type: 'boolean', describe: 'Progress bar on stderr (default: when stderr is a terminal)' })
      .check((a) => {
        checkInt('--batch-size', a['batch-size'], 1, 10_000);
        return true;
      })
      .example('$0 import jobs.csv', 'a JobSpy CSV export')
      .example('$0 import feed.ndjson --site myfeed --json', 'NDJSON, rows without a site get "myfeed"; JSON summary on stdout'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    try {
      await access(args.file);
    } catch {
      throw new CliError(`Cannot read ${args.file}: no such file`);
    }
    const showBar = args.progress ?? Boolean(process.stderr.isTTY);
    const bar = showBar
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: 'import |{bar}| {percentage}% | {inserted} inserted, {rejected} rejected | {eta_formatted} left',
            hideCursor: true,
            etaBuffer: 50,
            // --progress asks for it even when stderr is not a terminal (a line every 2 s).
            noTTYOutput: args.progress === true,
            notTTYSchedule: 2000,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    let started = false;
    const summary = await withDatabase(
      ctx,
      (pool) =>
        importFile(pool, args.file, {
          format: args.format as ImportFormat | undefined,
          site: args.site,
          batchSize: args.batchSize ?? 500,
          onProgress: (read, total, s) => {
            if (!bar) return;
            if (!started) {
              started = true;
              bar.start(Math.max(total, 1), 0, { inserted: 0, rejected: 0 });
            }
            bar.update(read, { inserted: s.inserted, rejected: s.rejected });
          },
        }).finally(() => bar?.stop()),
      { poolSize: 2, applicationName: 'job-review import' },
    );
    ctx.out(renderImport(summary), summary);
    if (summary.fatal) process.exitCode = 1;
  }),
};
