// The one place the environment is read. Every setting is parsed by one zod
// schema so a bad value stops the process at start-up with a message that
// names the variable, the value and what is allowed (DESIGN 8).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false (also 1/0, yes/no, on/off)' });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const num = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? fallback : v.trim()));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const postgresUrl = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v.trim() === '') return undefined;
    let url: URL;
    try {
      url = new URL(v.trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a postgres:// or postgresql:// URL, or unset for the embedded database' });
      return z.NEVER;
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
      ctx.addIssue({ code: 'custom', message: 'must be a postgres:// or postgresql:// URL, or unset for the embedded database' });
      return z.NEVER;
    }
    return v.trim();
  });

const httpUrl = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v.trim() === '' ? fallback : v.trim();
      try {
        const u = new URL(s);
        if (u.protocol === 'http:' || u.protocol === 'https:') return s;
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: 'custom', message: 'must be an http:// or https:// URL' });
      return z.NEVER;
    });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const PROVIDERS = ['heuristic', 'openai'] as const;

const oneOf = <T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const s = v === undefined || v.trim() === '' ? fallback : v.trim().toLowerCase();
      if ((values as readonly string[]).includes(s)) return s as T[number];
      ctx.addIssue({ code: 'custom', message: `must be one of ${values.join(', ')}` });
      return z.NEVER;
    });

/** Every setting, its default and what is allowed. `.env.example` mirrors this list. */
export const envSchema = z.object({
  DATABASE_URL: postgresUrl,
  JOB_REVIEW_DATA_DIR: text('.data'),
  JOB_REVIEW_QUEUE_NAME: text('job_review'),
  JOB_REVIEW_BATCH_SIZE: int(50, 1, 1000),
  JOB_REVIEW_MAX_RETRIES: int(3, 1, 100),
  JOB_REVIEW_RETRY_DELAY: num(60, 0, 86_400),
  JOB_REVIEW_MIN_SALARY: num(180_000, 0, 100_000_000),
  JOB_REVIEW_MAX_AGE_DAYS: int(21, 1, 36_500),
  JOB_REVIEW_RECOMMEND_THRESHOLD: num(5, 0, 10),
  JOB_REVIEW_ENABLED: bool(true),
  JOB_REVIEW_PROVIDER: oneOf(PROVIDERS, 'heuristic'),
  JOB_REVIEW_SHUTDOWN_TIMEOUT: num(30, 0, 3600),
  JOB_REVIEW_WORKER_TIMEOUT: num(30, 2, 3600),
  JOB_REVIEW_HEARTBEAT_INTERVAL: num(5, 0.1, 600),
  WORKER_CONCURRENCY: int(8, 1, 1000),
  JOB_REVIEW_VARIANTS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined;
      const parsed = parseVariants(v);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: parsed });
        return z.NEVER;
      }
      return parsed;
    }),
  JOB_REVIEW_CRON: bool(true),
  JOB_REVIEW_SWEEP_SCHEDULE: text('*/5 * * * *'),
  JOB_REVIEW_RETENTION_SCHEDULE: text('17 3 * * *'),
  JOB_REVIEW_BACKFILL_SCHEDULE: text('47 3 * * *'),
  JOB_REVIEW_RETENTION_DAYS: int(0, 0, 36_500),
  JOB_REVIEW_DELIVERY_LOG_DAYS: int(30, 0, 36_500),
  WEBHOOK_TIMEOUT_MS: int(10_000, 100, 600_000),
  METRICS_PORT: int(0, 0, 65_535),
  OPENAI_BASE_URL: httpUrl('https://api.openai.com/v1'),
  OPENAI_API_KEY: optionalText,
  OPENAI_MODEL: text('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: int(60_000, 100, 3_600_000),
  OPENAI_MAX_CONCURRENCY: int(4, 1, 1000),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
  HOST: text('127.0.0.1'),
  PORT: int(3000, 0, 65_535),
  JWT_SECRET: optionalText,
  NODE_ENV: text('production'),
  API_GRAPHIQL: bool(false),
  API_MAX_DEPTH: int(12, 2, 100),
  API_STATEMENT_TIMEOUT: int(10_000, 100, 3_600_000),
  API_BODY_LIMIT: int(100_000, 1_000, 100_000_000),
  REDIS_HOST: optionalText,
  REDIS_PORT: optionalText,
  REDIS_DB: optionalText,
});

type Env = z.output<typeof envSchema>;

const variantSchema = z.object({
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/, 'names use a-z, 0-9, _ and -'),
  share: z.number().gt(0).max(1),
  provider: z.enum(PROVIDERS),
  model: z.string().min(1).optional(),
  threshold: z.number().min(0).max(10).optional(),
  weights: z
    .object({
      north_star: z.number().min(0).max(1),
      trajectory_mastery: z.number().min(0).max(1),
      values_compass: z.number().min(0).max(1),
      lifestyle_alignment: z.number().min(0).max(1),
      compensation_philosophy: z.number().min(0).max(1),
    })
    .partial()
    .strict()
    .optional(),
});
export type VariantSetting = z.output<typeof variantSchema>;

/** JOB_REVIEW_VARIANTS: a JSON array of variants whose shares add up to 1; returns an error text when it is not. */
function parseVariants(text: string): VariantSetting[] | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'must be a JSON array of {name, share, provider, model?, threshold?, weights?}';
  }
  const result = z.array(variantSchema).min(1).safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return `variant ${issue.path.join('.')}: ${issue.message}`;
  }
  const names = new Set(result.data.map((v) => v.name));
  if (names.size !== result.data.length) return 'variant names must be unique';
  const total = result.data.reduce((sum, v) => sum + v.share, 0);
  if (Math.abs(total - 1) > 0.001) return `variant shares must add up to 1 (they add up to ${Number(total.toFixed(4))})`;
  return result.data;
}

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  queueName: string;
  batchSize: number;
  maxRetries: number;
  retryDelaySeconds: number;
  minSalary: number;
  maxAgeDays: number;
  recommendThreshold: number;
  reviewsEnabled: boolean;
  provider: (typeof PROVIDERS)[number];
  shutdownTimeoutSeconds: number;
  workerTimeoutSeconds: number;
  heartbeatIntervalSeconds: number;
  concurrency: number;
  /** Reviewer variants for A/B tests; undefined means one variant, "default", from JOB_REVIEW_PROVIDER. */
  variants: VariantSetting[] | undefined;
  schedule: {
    enabled: boolean;
    sweep: string;
    retention: string;
    backfill: string;
    retentionDays: number;
    deliveryLogDays: number;
  };
  webhookTimeoutMs: number;
  /** Worker-only metrics port; 0 means none (the API server serves /metrics). */
  metricsPort: number;
  openai: { baseUrl: string; apiKey: string | undefined; model: string; timeoutMs: number; maxConcurrency: number };
  logLevel: (typeof LOG_LEVELS)[number];
  host: string;
  port: number;
  jwtSecret: string | undefined;
  development: boolean;
  api: {
    /** GraphiQL (Ruru) and introspection: on in development or when API_GRAPHIQL=true. */
    graphiql: boolean;
    /** Deepest GraphQL selection accepted. */
    maxDepth: number;
    /** statement_timeout of every API transaction, in milliseconds. */
    statementTimeoutMs: number;
    /** Largest request body accepted, in bytes. */
    bodyLimitBytes: number;
  };
  /** Set when the seed's REDIS_* variables are present: they are ignored, with one warning. */
  ignoredRedisVariables: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function fromEnv(env: Env): Config {
  return {
    databaseUrl: env.DATABASE_URL,
    dataDir: resolve(env.JOB_REVIEW_DATA_DIR),
    queueName: env.JOB_REVIEW_QUEUE_NAME,
    batchSize: env.JOB_REVIEW_BATCH_SIZE,
    maxRetries: env.JOB_REVIEW_MAX_RETRIES,
    retryDelaySeconds: env.JOB_REVIEW_RETRY_DELAY,
    minSalary: env.JOB_REVIEW_MIN_SALARY,
    maxAgeDays: env.JOB_REVIEW_MAX_AGE_DAYS,
    recommendThreshold: env.JOB_REVIEW_RECOMMEND_THRESHOLD,
    reviewsEnabled: env.JOB_REVIEW_ENABLED,
    provider: env.JOB_REVIEW_PROVIDER,
    shutdownTimeoutSeconds: env.JOB_REVIEW_SHUTDOWN_TIMEOUT,
    workerTimeoutSeconds: env.JOB_REVIEW_WORKER_TIMEOUT,
    heartbeatIntervalSeconds: env.JOB_REVIEW_HEARTBEAT_INTERVAL,
    concurrency: env.WORKER_CONCURRENCY,
    variants: env.JOB_REVIEW_VARIANTS,
    schedule: {
      enabled: env.JOB_REVIEW_CRON,
      sweep: env.JOB_REVIEW_SWEEP_SCHEDULE,
      retention: env.JOB_REVIEW_RETENTION_SCHEDULE,
      backfill: env.JOB_REVIEW_BACKFILL_SCHEDULE,
      retentionDays: env.JOB_REVIEW_RETENTION_DAYS,
      deliveryLogDays: env.JOB_REVIEW_DELIVERY_LOG_DAYS,
    },
    webhookTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
    metricsPort: env.METRICS_PORT,
    openai: {
      baseUrl: env.OPENAI_BASE_URL,
      apiKey: env.OPENAI_API_KEY,
      model: env.OPENAI_MODEL,
      timeoutMs: env.OPENAI_TIMEOUT_MS,
      maxConcurrency: env.OPENAI_MAX_CONCURRENCY,
    },
    logLevel: env.LOG_LEVEL,
    host: env.HOST,
    port: env.PORT,
    jwtSecret: env.JWT_SECRET,
    development: env.NODE_ENV === 'development',
    api: {
      graphiql: env.NODE_ENV === 'development' || env.API_GRAPHIQL,
      maxDepth: env.API_MAX_DEPTH,
      statementTimeoutMs: env.API_STATEMENT_TIMEOUT,
      bodyLimitBytes: env.API_BODY_LIMIT,
    },
    ignoredRedisVariables: (['REDIS_HOST', 'REDIS_PORT', 'REDIS_DB'] as const).filter((k) => env[k] !== undefined),
  };
}

/**
 * Parses settings from `env` (process.env by default), after the `.env` file
 * of `cwd` when one exists; real environment variables win over the file.
 * Throws ConfigError naming the first bad variable, its value and what is allowed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const merged: Record<string, string | undefined> = { ...readDotEnv(cwd), ...env };
  const result = envSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue.path[0]);
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(merged[name] ?? '')}: ${issue.message}`);
  }
  return fromEnv(result.data);
}

function readDotEnv(cwd: string): Record<string, string | undefined> {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return {};
  return parseEnv(readFileSync(file, 'utf8'));
}

/** For entry points: parse or exit with code 2 and one line on stderr. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`job-review: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
