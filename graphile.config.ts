// The preset graphile-worker's own CLI reads (e.g. `npx graphile-worker
// --schema-only`). The service itself builds the same preset in
// src/worker/preset.ts from the validated settings.
import type { GraphileConfig } from 'graphile-config';
import { loadConfigOrExit } from './src/config.ts';
import { workerPreset } from './src/worker/preset.ts';

const config = loadConfigOrExit();

const preset: GraphileConfig.Preset = workerPreset({
  connectionString: config.databaseUrl,
  concurrency: config.concurrency,
  shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
});

export default preset;
