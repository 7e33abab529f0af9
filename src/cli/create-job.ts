// `job-review create-job`: one posting from flags, through app.create_job
// (the API's mutation too); the insert trigger queues it in the same
// transaction, or the dedup stores it as a duplicate.
import { randomUUID } from 'node:crypto';
import type { CommandModule } from 'yargs';
import { parseDate } from '../import/mapping.ts';
import { parseSalary } from '../import/salary.ts';
import { INTERVALS } from '../review/contracts.ts';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { checkInt, withDatabase } from './database.ts';
import { fields, time } from './format.ts';
import { runCommand } from './run-command.ts';

interface CreateJobArgs extends GlobalArgs {
  title: string;
  company: string;
  url?: string;
  site: string;
  companyUrl?: string;
  city?: string;
  state?: string;
  country?: string;
  remote?: boolean;
  jobType?: string;
  interval?: string;
  minAmount?: number;
  maxAmount?: number;
  currency?: string;
  salary?: string;
  description?: string;
  datePosted?: string;
  priority: number;
}

export const createJobCommand: CommandModule<GlobalArgs, CreateJobArgs> = {
  command: 'create-job',
  describe: 'Create one posting from flags, for trying the pipeline by hand; it is queued for review at once (or stored as a duplicate of an original)',
  builder: (y) =>
    y
      .option('title', { type: 'string', demandOption: true, describe: 'Job title' })
      .option('company', { type: 'string', demandOption: true, describe: 'Company name' })
      .option('url', { type: 'string', describe: 'Job URL (default: a new https://example.invalid/manual/<uuid>)' })
      .option('site', { type: 'string', default: 'manual', describe: 'Where it comes from; (site, url) is unique' })
      .option('company-url', { type: 'string', describe: "The company's web site" })
      .option('city', { type: 'string' })
      .option('state', { type: 'string' })
      .option('country', { type: 'string' })
      .option('remote', { type: 'boolean', describe: 'Remote job (--no-remote for on-site)' })
      .option('job-type', { type: 'string', describe: 'fulltime, parttime, contract, internship ...' })
      .option('interval', { type: 'string', choices: INTERVALS as unknown as string[], describe: 'Salary interval' })
      .option('min-amount', { type: 'number', describe: 'Minimum salary' })
      .option('max-amount', { type: 'number', describe: 'Maximum salary' })
      .option('currency', { type: 'string', describe: 'ISO currency code, e.g. USD' })
      .option('salary', { type: 'string', describe: 'Salary as text instead of the three flags above: "$120K-$150K", "$45/hr"' })
      .option('description', { type: 'string', describe: 'Description (markdown)' })
      .option('date-posted', { type: 'string', describe: 'Date posted, YYYY-MM-DD' })
      .option('priority', { type: 'number', default: 0, describe: 'Queue priority: lower runs first' })
      .check((a) => {
        if (!a.title.trim()) throw new Error('--title must not be empty');
        if (!a.company.trim()) throw new Error('--company must not be empty');
        const min = a.minAmount as number | undefined;
        const max = a.maxAmount as number | undefined;
        for (const [name, v] of [['--min-amount', min], ['--max-amount', max]] as Array<[string, number | undefined]>) {
          if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new Error(`${name} must be a number of at least 0 (got ${v})`);
        }
        if (min !== undefined && max !== undefined && min > max) throw new Error('--min-amount is greater than --max-amount');
        if (a.salary !== undefined && (a.minAmount !== undefined || a.maxAmount !== undefined)) throw new Error('--salary and --min-amount/--max-amount cannot be combined');
        if (a.salary !== undefined) {
          const s = parseSalary(a.salary);
          if (!s) throw new Error(`--salary ${JSON.stringify(a.salary)} holds no amount`);
          if ((s.min ?? 0) < 0 || (s.max ?? 0) < 0) throw new Error(`--salary ${JSON.stringify(a.salary)} is negative`);
        }
        if (a.datePosted !== undefined) {
          try {
            parseDate(a.datePosted);
          } catch (error) {
            throw new Error(`--${(error as Error).message.replace('date_posted', 'date-posted')}`);
          }
        }
        checkInt('--priority', a.priority, -32768, 32767);
        return true;
      })
      .example('$0 create-job --title "Staff Engineer" --company Acme --remote --salary "$200K-$240K"', 'a remote posting with a salary range')
      .example('$0 create-job --title "Backend Engineer" --company Globex --url https://jobs.example/42 --date-posted 2026-11-20 --json', 'print the created row as JSON'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const salary = args.salary ? parseSalary(args.salary) : null;
    const job = await withDatabase(ctx, async (pool) => {
      try {
        const { rows } = await pool.query(
          `select j.*
             from app.create_job(site => $1, job_url => $2, title => $3, company => $4, company_url => $5,
                                 location_country => $6, location_state => $7, location_city => $8, is_remote => $9,
                                 job_type => $10, "interval" => $11, min_amount => $12, max_amount => $13, currency => $14,
                                 description => $15, date_posted => $16, priority => $17) j`,
          [
            args.site.trim(),
            args.url?.trim() || `https://example.invalid/manual/${randomUUID()}`,
            args.title.trim(),
            args.company.trim(),
            args.companyUrl ?? null,
            args.country ?? null,
            args.state ?? null,
            args.city ?? null,
            args.remote ?? null,
            args.jobType ?? null,
            args.interval ?? salary?.interval ?? null,
            args.minAmount ?? salary?.min ?? null,
            args.maxAmount ?? salary?.max ?? null,
            args.currency?.toUpperCase() ?? salary?.currency ?? null,
            args.description ?? null,
            args.datePosted ? parseDate(args.datePosted) : null,
            args.priority,
          ],
        );
        // A separate statement: the queue entry the insert trigger added is not in the snapshot of the one that inserted.
        const entry = await pool.query('select app_private.review_queue_entry($1) as e', [rows[0].id]);
        return { ...rows[0], queue_entry: entry.rows[0].e };
      } catch (error) {
        const e = error as { code?: string; message: string };
        if (e.code?.startsWith('22') || e.code?.startsWith('23')) throw new CliError(e.message);
        throw error;
      }
    });
    const { source_raw: _raw, canonical_key: _key, fingerprint: _fp, claimed_by: _cb, claimed_at: _ca, claim_queue_id: _cq, ...shown } = job;
    ctx.out(
      [
        fields([
          ['Created', job.id],
          ['Title', job.title],
          ['Company', job.company],
          ['Site', job.site],
          ['URL', job.job_url],
          ['Status', job.status + (job.duplicate_of ? ` (duplicate of ${job.duplicate_of}; not queued)` : '')],
          ['Salary', job.min_amount !== null || job.max_amount !== null ? `${job.min_amount ?? '?'}-${job.max_amount ?? '?'} ${job.currency ?? ''} ${job.interval ?? ''}`.trim() : null],
          ['Queued', job.queue_entry ? `yes, run at ${time(job.queue_entry.run_at)}, priority ${job.queue_entry.priority}` : 'no'],
        ]),
        '',
        `Follow it with: job-review status ${job.id}`,
      ].join('\n'),
      shown,
    );
  }),
};
