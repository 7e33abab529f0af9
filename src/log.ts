// pino, human-readable on a terminal and JSON lines otherwise. Logs go to
// stderr so that `--json` output on stdout stays machine-readable.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(level: string, opts: { name?: string; pretty?: boolean } = {}): Logger {
  const usePretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  const stream = usePretty
    ? pretty({ destination: 2, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' })
    : pino.destination({ dest: 2, sync: true });
  return pino(
    {
      level,
      name: opts.name ?? 'job-review',
      // Secrets must never reach the logs, whatever object is logged.
      redact: { paths: ['apiKey', '*.apiKey', 'headers.authorization', '*.headers.authorization', 'password', '*.password'], censor: '[redacted]' },
    },
    stream,
  );
}
