// Spawns real `job-review worker` processes against a test database.
import type { ChildProcess } from 'node:child_process';
import { cliEnv, startCli } from '../helpers/cli.ts';

export interface WorkerProcess {
  child: ChildProcess;
  id: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnWorker(databaseUrl: string, env: Record<string, string> = {}, args: string[] = []): Promise<WorkerProcess> {
  const run = await startCli(['worker', ...args], {
    env: cliEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', JOB_REVIEW_HEARTBEAT_INTERVAL: '0.5', ...env }),
    ready: /Worker (\S+) running/,
  });
  const id = run.output().match(/Worker (\S+) running/)?.[1] ?? '';
  return { child: run.child, id, output: run.output, exited: run.exited };
}

export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill('SIGTERM');
  await w.exited;
}
