// `job-review webhook add|list|disable|enable|remove|deliveries`: operators
// manage webhooks from the terminal through the same SQL functions the
// GraphQL mutations call (app.create_webhook, app.set_webhook_enabled,
// app.delete_webhook). Secrets are shown once, when generated, and never again.
import { randomBytes } from 'node:crypto';
import type { Argv, CommandModule } from 'yargs';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { checkInt, checkUuid, withDatabase } from './database.ts';
import { clip, table, time } from './format.ts';
import { runCommand } from './run-command.ts';

const EVENTS = ['review.completed', 'review.failed', 'review.overridden'] as const;

interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string | null;
  created_at: Date;
}

function listWebhooks(hooks: Webhook[]): string {
  if (hooks.length === 0) return 'No webhooks.';
  return table(
    ['Id', 'URL', 'Events', 'Enabled', 'Created'],
    hooks.map((h) => [h.id, clip(h.url, 50), h.events.join(','), h.enabled ? 'yes' : 'no', time(h.created_at)]),
  );
}

interface AddArgs extends GlobalArgs {
  url: string;
  event?: string[];
  secret?: string;
  description?: string;
}

const add: CommandModule<GlobalArgs, AddArgs> = {
  command: 'add <url>',
  describe: 'Subscribe a URL to review events; prints the signing secret once when it is generated',
  builder: (y) =>
    y
      .positional('url', { type: 'string', demandOption: true, describe: 'http(s) URL that receives the POSTs' })
      .option('event', { type: 'string', array: true, choices: EVENTS, describe: 'Events to send (default: all three)' })
      .option('secret', { type: 'string', describe: 'Signing secret, 16+ characters (default: a random one, printed once)' })
      .option('description', { type: 'string', describe: 'A note for operators' })
      .check((a) => {
        if (!/^https?:\/\/\S+$/.test(a.url)) throw new Error(`url must be an http:// or https:// URL (got ${JSON.stringify(a.url)})`);
        if (a.secret !== undefined && a.secret.length < 16) throw new Error('--secret must have at least 16 characters');
        return true;
      })
      .example('$0 webhook add https://example.com/hooks --event review.completed', 'only completed reviews'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const generated = args.secret === undefined;
    const secret = args.secret ?? `whsec_${randomBytes(24).toString('hex')}`;
    const hook = await withDatabase(ctx, async (pool) =>
      (await pool.query<Webhook>('select * from app.create_webhook($1, $2, $3, $4)', [args.url, args.event ?? [...EVENTS], secret, args.description ?? null])).rows[0],
    );
    ctx.out(
      [`Webhook ${hook.id} sends ${hook.events.join(', ')} to ${hook.url}`, generated ? `Signing secret (shown once, keep it): ${secret}` : 'Signing secret: the one you gave'].join('\n'),
      { ...hook, ...(generated ? { secret } : {}) },
    );
  }),
};

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'The webhooks (never their secrets)',
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const hooks = await withDatabase(ctx, async (pool) => (await pool.query<Webhook>('select * from app.webhooks order by created_at')).rows);
    ctx.out(listWebhooks(hooks), hooks);
  }),
};

interface IdArgs extends GlobalArgs {
  id: string;
}

function setEnabled(enabled: boolean): CommandModule<GlobalArgs, IdArgs> {
  return {
    command: `${enabled ? 'enable' : 'disable'} <id>`,
    describe: enabled ? 'Send events to this webhook again' : 'Stop sending events to this webhook (queued deliveries are dropped)',
    builder: (y) => y.positional('id', { type: 'string', demandOption: true }).check((a) => (checkUuid('id', a.id), true)),
    handler: runCommand(async (args) => {
      const ctx = commandContext(args);
      const hook = await withDatabase(ctx, async (pool) => (await pool.query<Webhook>('select * from app.set_webhook_enabled($1, $2) where id is not null', [args.id, enabled])).rows[0]);
      if (!hook) throw new CliError(`Webhook ${args.id} not found`);
      ctx.out(`Webhook ${hook.id} ${enabled ? 'enabled' : 'disabled'}`, hook);
    }),
  };
}

const remove: CommandModule<GlobalArgs, IdArgs> = {
  command: 'remove <id>',
  describe: 'Delete a webhook, its secret and its delivery log',
  builder: (y) => y.positional('id', { type: 'string', demandOption: true }).check((a) => (checkUuid('id', a.id), true)),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const hook = await withDatabase(ctx, async (pool) => (await pool.query<Webhook>('select * from app.delete_webhook($1) where id is not null', [args.id])).rows[0]);
    if (!hook) throw new CliError(`Webhook ${args.id} not found`);
    ctx.out(`Webhook ${hook.id} removed`, hook);
  }),
};

interface DeliveriesArgs extends GlobalArgs {
  id?: string;
  limit?: number;
}

const deliveries: CommandModule<GlobalArgs, DeliveriesArgs> = {
  command: 'deliveries [id]',
  describe: 'The latest delivery attempts (of one webhook, or all), newest first',
  builder: (y) =>
    y
      .positional('id', { type: 'string', describe: 'A webhook id' })
      .option('limit', { type: 'number', default: 20 })
      .check((a) => (a.id !== undefined && checkUuid('id', a.id), checkInt('--limit', a.limit, 1, 10_000), true)),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    const rows = await withDatabase(
      ctx,
      async (pool) =>
        (
          await pool.query(
            `select created_at, webhook_id, event, job_id, attempt, status_code, succeeded, duration_ms, error
               from app.webhook_deliveries where $1::uuid is null or webhook_id = $1 order by id desc limit $2`,
            [args.id ?? null, args.limit ?? 20],
          )
        ).rows,
    );
    ctx.out(
      rows.length
        ? table(
            ['When', 'Webhook', 'Event', 'Posting', 'Try', 'HTTP', 'OK', 'ms', 'Error'],
            rows.map((r) => [time(r.created_at), r.webhook_id, r.event, r.job_id, r.attempt, r.status_code, r.succeeded ? 'yes' : 'no', r.duration_ms, clip(r.error, 40)]),
          )
        : 'No deliveries yet.',
      rows,
    );
  }),
};

export const webhookCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'webhook <command>',
  describe: 'Manage webhooks (review.completed, review.failed, review.overridden) and see their deliveries',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(add)
      .command(list)
      .command(setEnabled(false))
      .command(setEnabled(true))
      .command(remove)
      .command(deliveries)
      .demandCommand(1, 'Name a webhook command: add, list, disable, enable, remove or deliveries'),
  handler: () => {},
};
