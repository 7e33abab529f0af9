// Chaos 4, LLM endpoint faults: the local chat-completions server sends
// latency spikes, a storm of 429s with Retry-After, connection resets and
// truncated bodies. Everything is reviewed eventually, once; and a 429 uses
// up no attempt: each posting's retry_count (and review_attempts - 1) equals
// exactly the number of real failures (resets, truncations) it was served.
import t from 'tap';
import { createTestDatabase } from '../helpers/db.ts';
import { reply, startFakeLlm, type FakeReply, type RecordedRequest } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { count, figures, installChaosAudit, openaiEnv, reportRow, spawnWorker, stopWorker } from './chaos.ts';

const POSTINGS = 300;
const STORM_AFTER_MS = 2000;
const STORM_MS = 6000;

t.test('LLM faults: latency spikes, 429 storm, resets, truncated bodies', async (t) => {
  const started = Date.now();
  const { pool, url } = await createTestDatabase(t);
  await installChaosAudit(pool);

  const titleOf = (req: RecordedRequest): string => {
    const user = (req.body?.messages ?? []).find((m: { role: string }) => m.role === 'user')?.content ?? '';
    return /^Title: (.*)$/m.exec(user)?.[1] ?? '?';
  };
  // Per posting: how many real failures it gets (0, 1 or 2, from its number), and how many it got.
  const budget = (title: string) => Number(/(\d+)$/.exec(title)?.[1] ?? 0) % 3;
  const served = new Map<string, number>();
  const tally = { rateLimited: 0, resets: 0, truncated: 0, spikes: 0, ok: 0 };
  const rateLimitedPostings = new Set<string>();
  let firstAt = 0;

  const llm = await startFakeLlm({
    reply: (req): FakeReply => {
      firstAt ||= req.receivedAt;
      const title = titleOf(req);
      const since = req.receivedAt - firstAt;
      if (since >= STORM_AFTER_MS && since < STORM_AFTER_MS + STORM_MS) {
        tally.rateLimited++;
        rateLimitedPostings.add(title);
        return reply.rateLimited({ retryAfter: '1' });
      }
      const got = served.get(title) ?? 0;
      if (got < budget(title)) {
        served.set(title, got + 1);
        if ((got + req.index) % 2 === 0) {
          tally.resets++;
          return reply.reset();
        }
        tally.truncated++;
        return reply.truncate();
      }
      if (req.index % 7 === 0) {
        tally.spikes++;
        return reply.delay(2000 + (req.index % 3) * 1000); // 2-4 s, under the 10 s timeout
      }
      tally.ok++;
      return reply.delay(20 + (req.index % 5) * 20);
    },
  });
  t.teardown(() => llm.close());

  const env = openaiEnv(llm.url, { WORKER_CONCURRENCY: '8', OPENAI_TIMEOUT_MS: '10000', JOB_REVIEW_MAX_RETRIES: '5', JOB_REVIEW_RETRY_DELAY: '0.2' });
  const workers = await Promise.all([1, 2].map(() => spawnWorker(url, env)));
  t.teardown(() => Promise.all(workers.map(stopWorker)));

  const ids = await insertPostings(pool, fixturePostings(POSTINGS, 'llm'));
  await waitFor(`${POSTINGS} reviewed`, async () => (await count(pool, `select count(*)::int n from app.jobs where status = 'reviewed'`)) === POSTINGS, 180_000, 250);
  await waitFor('the queue empty', async () => (await count(pool, `select count(*)::int n from graphile_worker.jobs`)) === 0, 30_000);

  const f = await figures(pool);
  t.same(f.statuses, { reviewed: POSTINGS }, 'everything reviewed eventually; nothing in error');
  t.equal(f.reviewsWritten, POSTINGS, 'one review write per posting');
  t.equal(f.duplicates, 0, 'no posting reviewed twice');
  t.ok(tally.rateLimited >= 20, `a storm of ${tally.rateLimited} 429s hit ${rateLimitedPostings.size} postings`);
  t.ok(tally.resets > 0 && tally.truncated > 0 && tally.spikes > 0, `${tally.resets} resets, ${tally.truncated} truncated bodies, ${tally.spikes} latency spikes`);

  // 429s use up no attempts: each posting's attempts are exactly its real failures + 1.
  const { rows } = await pool.query(
    `select j.title, j.review_attempts, r.retry_count from app.jobs j join app.job_reviews r on r.job_id = j.id where j.id = any($1::uuid[])`,
    [ids],
  );
  const wrong = rows.filter((r) => r.retry_count !== (served.get(r.title) ?? 0) || r.review_attempts !== (served.get(r.title) ?? 0) + 1);
  t.same(wrong.slice(0, 5), [], 'retry_count = review_attempts - 1 = resets + truncations served, for every posting (429s not counted)');
  const limitedRows = rows.filter((r) => rateLimitedPostings.has(r.title));
  t.ok(limitedRows.length > 0 && limitedRows.every((r) => r.retry_count === (served.get(r.title) ?? 0)), `${limitedRows.length} rate-limited postings: no attempt spent on a 429`);

  reportRow(t, {
    scenario: '4 LLM faults',
    faults: `${tally.rateLimited} x 429 (Retry-After 1 s), ${tally.resets} resets, ${tally.truncated} truncated, ${tally.spikes} spikes 2-4 s`,
    postingsExpected: POSTINGS,
    reviewsWritten: f.reviewsWritten,
    duplicates: f.duplicates,
    maxInReviewSeconds: f.maxInReviewSeconds,
    durationSeconds: (Date.now() - started) / 1000,
    notes: `2 workers x concurrency 8; attempts used = real failures + 1 for all ${POSTINGS}; 429s used none`,
  });
});
