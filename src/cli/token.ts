import type { CommandModule } from 'yargs';
import { API_ROLES, parseDuration, signToken, type ApiRole } from '../api/auth.ts';
import { CliError, commandContext, type GlobalArgs } from './context.ts';
import { runCommand } from './run-command.ts';

interface TokenArgs extends GlobalArgs {
  role: string;
  sub: string;
  expires: string;
}

export const tokenCommand: CommandModule<GlobalArgs, TokenArgs> = {
  command: 'token',
  describe: 'Mint an API token (HS256, signed with JWT_SECRET) for a viewer (read) or an operator (read and steer)',
  builder: (y) =>
    y
      .option('role', { type: 'string', choices: API_ROLES as unknown as string[], demandOption: true, describe: 'viewer or operator' })
      .option('sub', { type: 'string', demandOption: true, describe: 'Who the token is for (recorded as override_by)' })
      .option('expires', { type: 'string', default: '30d', describe: 'Lifetime: a number with s, m, h, d or w' })
      .check((a) => {
        if (!a.sub.trim()) throw new Error('--sub must not be empty');
        parseDuration(a.expires);
        return true;
      })
      .example('$0 token --role operator --sub alice --expires 30d', 'a 30-day operator token for alice'),
  handler: runCommand(async (args) => {
    const ctx = commandContext(args);
    if (!ctx.config.jwtSecret) throw new CliError('JWT_SECRET is not set: tokens are signed with it (the same value the API uses).', 2);
    const seconds = parseDuration(args.expires);
    const token = await signToken({ secret: ctx.config.jwtSecret, role: args.role as ApiRole, sub: args.sub.trim(), expiresInSeconds: seconds });
    const expiresAt = new Date(Date.now() + seconds * 1000).toISOString();
    ctx.out(token, { token, role: args.role, sub: args.sub.trim(), expiresAt });
  }),
};
