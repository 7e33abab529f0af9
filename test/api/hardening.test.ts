// Hardening: introspection refused in production (allowed in development),
// GraphiQL only in development, a depth limit, masked errors with a
// reference id, graphile_worker nowhere in the schema, and the committed SDL
// equal to the live schema.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'postgraphile/graphql';
import { SCHEMA_FILE } from '../../src/api/print-schema.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { gql, startApi } from './helpers.ts';

// One database for both servers; it is dropped after both have closed.
const dropLater: Array<() => unknown> = [];
const db = await createTestDatabase({ teardown: (fn) => dropLater.push(fn) }, { poolSize: 10 });
const prod = await startApi(t, { NODE_ENV: 'production' }, db);
const dev = await startApi(t, { NODE_ENV: 'development' }, db);
t.teardown(async () => {
  await prod.api.close();
  await dev.api.close();
  for (const fn of dropLater) await fn();
});

t.test('introspection is refused in production and allowed in development', async (t) => {
  const refused = await gql(prod.api, prod.tokens.operator, getIntrospectionQuery());
  t.notOk(refused.body.data);
  t.match(refused.body.errors?.[0]?.message, /introspection has been disabled/);
  const typeQuery = await gql(prod.api, prod.tokens.operator, `{ __type(name: "Job") { name } }`);
  t.match(typeQuery.body.errors?.[0]?.message, /introspection has been disabled/, '__type too');
  const allowed = await gql(dev.api, dev.tokens.viewer, getIntrospectionQuery());
  t.notOk(allowed.body.errors);
  t.ok(allowed.body.data.__schema.types.length > 50);
  const typename = await gql(prod.api, prod.tokens.viewer, `{ __typename }`);
  t.same(typename.body.data, { __typename: 'Query' }, '__typename still works');
});

t.test('GraphiQL only in development', async (t) => {
  t.equal((await fetch(`${prod.api.url}/graphiql`)).status, 404);
  const page = await fetch(`${dev.api.url}/graphiql`, { headers: { accept: 'text/html' } });
  t.equal(page.status, 200);
  t.match(await page.text(), /ruru|graphiql/i);
});

t.test('queries deeper than the limit are refused', async (t) => {
  const ok = await gql(prod.api, prod.tokens.viewer, `{ jobs { nodes { jobReview { job { rowId } } } } }`);
  t.notOk(ok.body.errors, 'depth 5 is fine');
  let deep = '{ rowId }';
  for (let i = 0; i < 7; i++) deep = `{ jobReview { job ${deep} } }`;
  const r = await gql(prod.api, prod.tokens.viewer, `{ jobs { nodes ${deep} } }`);
  t.notOk(r.body.data);
  t.match(r.body.errors?.[0]?.message, /too deep: depth \d+ exceeds the limit of 12/);
  const viaFragment = await gql(prod.api, prod.tokens.viewer, `query { jobs { nodes { ...F } } } fragment F on Job ${deep}`);
  t.match(viaFragment.body.errors?.[0]?.message, /too deep/, 'fragments count too');
});

t.test('unexpected errors are masked with a reference id; caller errors are not', async (t) => {
  const forbidden = await gql(prod.api, prod.tokens.viewer, `mutation { archiveJob(input: { jobId: "00000000-0000-0000-0000-000000000000" }) { result { status } } }`);
  t.match(forbidden.body.errors?.[0]?.message, /permission denied/, 'permission errors are shown');
  // An internal failure (42P01 undefined table): the queue table is briefly missing.
  await db.pool.query(`alter table graphile_worker._private_jobs rename to _private_jobs_away`);
  try {
    const masked = await gql(prod.api, prod.tokens.viewer, `{ jobReviewStats }`);
    t.match(masked.body.errors?.[0]?.message, /^An unexpected error occurred \(reference [0-9a-f-]{36}\)$/, 'masked in production');
    t.match(masked.body.errors?.[0]?.extensions, { errorId: /^[0-9a-f-]{36}$/ });
    t.notMatch(JSON.stringify(masked.body), /_private_jobs/, 'no internals leak');
    const shown = await gql(dev.api, dev.tokens.viewer, `{ jobReviewStats }`);
    t.match(shown.body.errors?.[0]?.message, /_private_jobs/, 'shown in development');
  } finally {
    await db.pool.query(`alter table graphile_worker._private_jobs_away rename to _private_jobs`);
  }
});

t.test('graphile_worker appears nowhere in the schema', async (t) => {
  const schema = await prod.api.pgl.getSchema();
  const sdl = printSchema(schema);
  t.notMatch(sdl, /graphile_?worker/i);
  t.notMatch(sdl, /_private_jobs|privateJob|claimQueueId|app_private|appPrivate/i);
  for (const name of Object.keys(schema.getTypeMap())) t.notMatch(name, /^(Job|Task|Known|Migration)s?Spec$|GraphileWorker/i);
  const mutations = Object.keys(schema.getMutationType()!.getFields()).sort();
  for (const m of mutations) {
    t.notMatch(m, /^(update|delete)(Job|JobReview|CareerBrand|JobReviewOverride)(By|$)/, `no raw update/delete: ${m}`);
    t.notMatch(m, /^create(JobReview|CareerBrand|JobReviewOverride)$/, `no raw insert: ${m}`);
  }
  const createJob = schema.getMutationType()!.getFields().createJob;
  t.ok(createJob.args.find((a) => a.name === 'input')!.type.toString().startsWith('CreateJobInput'), 'createJob is the create_job function');
  t.notOk((schema.getType('CreateJobInput') as any).getFields().job, 'not the raw insert (which takes a JobInput)');
  for (const m of ['archiveJob', 'createJob', 'overrideReview', 'queuePendingReviews', 'requeueFailedReviews', 'testJobReview']) t.ok(mutations.includes(m), m);
});

t.test('the committed schema.graphql matches the live schema', async (t) => {
  const live = `${printSchema(lexicographicSortSchema(await prod.api.pgl.getSchema()))}\n`;
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  t.ok(live === committed, 'schema.graphql is up to date (regenerate it with `node src/api/print-schema.ts`)');
  if (live !== committed) {
    const a = live.split('\n');
    const b = committed.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    t.comment(`first difference at line ${i + 1}:\n live:      ${a[i]}\n committed: ${b[i]}`);
  }
});
