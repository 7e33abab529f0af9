// Wraps a command handler: operator-facing failures print one line and set the
// exit code (1 by default); anything else also prints one line unless
// LOG_LEVEL=debug asks for the stack.
import { CliError, describeConnectionError } from './context.ts';

export function runCommand<A>(handler: (args: A) => Promise<void>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      await handler(args);
    } catch (error) {
      const e = error as Error & { code?: string; address?: string; port?: number };
      let message: string;
      let exitCode = 1;
      if (error instanceof CliError) {
        message = error.message;
        exitCode = error.exitCode;
      } else if (e.code && ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(e.code)) {
        message = describeConnectionError(`postgres://${e.address ?? 'localhost'}:${e.port ?? 5432}`, e);
      } else {
        message = e.message ?? String(error);
      }
      process.stderr.write(`job-review: ${message}\n`);
      if ((process.env.LOG_LEVEL ?? '').toLowerCase() === 'debug' && !(error instanceof CliError)) {
        process.stderr.write(`${e.stack}\n`);
      }
      process.exitCode = exitCode;
    }
  };
}
