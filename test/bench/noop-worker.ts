// The baseline: graphile-worker running a no-op task with exactly the preset
// our review worker uses (local queue, batched completion, same concurrency).
import { Logger, run } from 'graphile-worker';
import { workerPreset } from '../../src/worker/preset.ts';

const [connectionString, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg ?? 24);
const runner = await run({
  preset: { extends: [workerPreset({ concurrency, shutdownTimeoutSeconds: 5 })] },
  connectionString,
  taskList: { noop: async () => {} },
  logger: new Logger(() => () => {}),
  crontab: '',
  noHandleSignals: true,
});
process.stdout.write('ready\n');
const stop = () => runner.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
