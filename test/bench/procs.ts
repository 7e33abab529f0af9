// Child processes for the benchmark, with their peak resident memory read
// from /proc while they run (VmHWM is the high-water mark).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Proc {
  child: ChildProcess;
  peakRssMb(): number;
  stop(): Promise<void>;
}

function hwmKb(pid: number): number {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function startProc(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    const poll = setInterval(() => (peak = Math.max(peak, hwmKb(child.pid ?? 0))), 100);
    const exited = new Promise<void>((r) => child.on('close', () => (clearInterval(poll), r())));
    const onData = (d: Buffer) => {
      out += d;
      if (ready.test(out)) {
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        resolve({
          child,
          peakRssMb: () => Math.max(peak, hwmKb(child.pid ?? 0)) / 1024,
          async stop() {
            peak = Math.max(peak, hwmKb(child.pid ?? 0));
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('close', (code) => {
      if (!ready.test(out)) reject(new Error(`exited (${code}) before ready:\n${out}`));
    });
  });
}

/** Runs a command to completion and reports its wall time and peak RSS. */
export function runToEnd(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number; peakRssMb: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peak = 0;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const poll = setInterval(() => (peak = Math.max(peak, hwmKb(child.pid ?? 0))), 50);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code, ms: performance.now() - started, peakRssMb: peak / 1024, stdout, stderr });
    });
  });
}
