// jobStatusChanged over graphql-ws: a client subscribed to one posting sees
// in_review then reviewed when a real worker reviews it. Anonymous and
// badly-signed clients get nothing.
import t from 'tap';
import { createClient, type Client } from 'graphql-ws';
import { startReviewWorker } from '../../src/worker/runner.ts';
import { quietLog, testConfig, waitFor } from '../helpers/worker.ts';
import { signToken } from '../../src/api/auth.ts';
import { startApi } from './helpers.ts';

const { api, db, tokens } = await startApi(t);
const wsUrl = `${api.url.replace(/^http/, 'ws')}/graphql`;

function client(token: string | undefined): Client {
  const c = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
  t.teardown(() => c.dispose());
  return c;
}

interface Change {
  jobId: string;
  status: string;
  previousStatus: string | null;
  job: { title: string; status: string } | null;
}

function subscribe(c: Client, jobId: string | null) {
  const events: Change[] = [];
  const errors: unknown[] = [];
  let completed = false;
  const dispose = c.subscribe<{ jobStatusChanged: Change }>(
    {
      query: `subscription($id: UUID) { jobStatusChanged(jobId: $id) { jobId status previousStatus job { title status } } }`,
      variables: { id: jobId },
    },
    {
      next: (v) => {
        if (v.data?.jobStatusChanged) events.push(v.data.jobStatusChanged);
        if (v.errors) errors.push(...v.errors);
      },
      error: (e) => errors.push(e),
      complete: () => (completed = true),
    },
  );
  return { events, errors, dispose, completed: () => completed };
}

t.test('a subscriber sees in_review then reviewed from a real worker', async (t) => {
  // Parked first (archived: not queued), so that the subscription is in place
  // before anything happens to it.
  const { rows } = await db.pool.query(
    `insert into app.jobs (site, job_url, title, company, is_remote, status) values ('ws', 'https://ws/1', 'Staff Engineer', 'Subscribed Co', true, 'archived') returning id`,
  );
  const jobId = rows[0].id as string;
  const { rows: other } = await db.pool.query(
    `insert into app.jobs (site, job_url, title, company, status) values ('ws', 'https://ws/2', 'Other Role', 'Other Co', 'archived') returning id`,
  );
  const viewer = client(tokens.viewer);
  const sub = subscribe(viewer, jobId);
  const all = subscribe(client(tokens.viewer), null);
  // The LISTEN is set up asynchronously; a status change that nobody records
  // is harmless, so wait until one arrives on the all-postings channel.
  await waitFor('the subscriptions to be listening', async () => {
    await db.pool.query(`update app.jobs set status = case when status = 'archived' then 'duplicate' else 'archived' end where id = $1`, [other[0].id]);
    return all.events.length > 0 && (await new Promise((r) => setTimeout(r, 100, true)));
  }, 20_000, 200);

  const worker = await startReviewWorker({ pool: db.pool, config: testConfig({ WORKER_CONCURRENCY: '2' }), log: quietLog() });
  t.teardown(() => worker.stop());
  await db.pool.query(`update app.jobs set status = 'pending_review' where id = $1`, [jobId]);
  await waitFor('in_review and reviewed', async () => sub.events.some((e) => e.status === 'reviewed'), 60_000);

  t.same(sub.errors, [], 'no errors');
  const statuses = sub.events.map((e) => e.status);
  t.same(statuses, ['pending_review', 'in_review', 'reviewed'], 'every change of this posting, in order');
  t.ok(sub.events.every((e) => e.jobId === jobId), 'only this posting');
  t.same(sub.events[2], { jobId, status: 'reviewed', previousStatus: 'in_review', job: { title: 'Staff Engineer', status: 'reviewed' } });
  t.ok(all.events.some((e) => e.jobId === jobId && e.status === 'reviewed'), 'the all-postings subscription saw it too');
  sub.dispose();
  all.dispose();
});

t.test('anonymous and badly signed subscribers get nothing', async (t) => {
  for (const [who, token] of [
    ['no token', undefined],
    ['another secret', await signToken({ secret: 'a-different-secret-0123456789abcdef', role: 'operator', sub: 'x', expiresInSeconds: 60 })],
  ] as const) {
    const sub = subscribe(client(token), null);
    await db.pool.query(`update app.jobs set status = 'archived' where site = 'ws' and status <> 'archived'`);
    await waitFor(`${who}: refused`, async () => sub.errors.length > 0 || sub.completed(), 10_000);
    t.same(sub.events, [], `${who}: no events`);
    t.match(JSON.stringify(sub.errors), /unauthorized/, `${who}: unauthorized`);
    sub.dispose();
  }
  const res = await fetch(`${api.url}/graphql`, {
    headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'graphql-transport-ws', authorization: 'Bearer nope' },
  }).catch((e) => e);
  t.ok(res instanceof Error || res.status === 401 || res.status === 400, 'an upgrade with a bad Authorization header is refused');
});
