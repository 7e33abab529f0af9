// 50 fixture postings reviewed by a real worker process through the openai
// provider against a local chat-completions server: every stored review
// passes the output contract, and pre-filter rejections made no LLM call.
import t from 'tap';
import { reviewOutputSchema } from '../../src/review/contracts.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startFakeLlm } from '../helpers/fake-llm.ts';
import { waitFor } from '../helpers/worker.ts';
import { fixturePostings, insertPostings } from '../fixtures/postings.ts';
import { spawnWorker, stopWorker } from './processes.ts';

t.test('50 postings through a worker process', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const llm = await startFakeLlm();
  t.teardown(() => llm.close());
  const worker = await spawnWorker(url, { JOB_REVIEW_PROVIDER: 'openai', OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-test-pipeline', WORKER_CONCURRENCY: '8' });
  t.teardown(() => stopWorker(worker));

  const ids = await insertPostings(pool, fixturePostings(50));
  t.equal(ids.length, 50);
  await waitFor('all 50 reviewed', async () => (await pool.query(`select count(*)::int n from app.jobs where status = 'reviewed'`)).rows[0].n === 50);

  const { rows } = await pool.query(`select r.*, j.max_amount, j."interval" from app.job_reviews r join app.jobs j on j.id = r.job_id`);
  t.equal(rows.length, 50);
  let rejected = 0;
  for (const r of rows) {
    const output = {
      final: { recommend: r.recommend, confidence: r.confidence, rationale: r.rationale },
      pre_filter: r.pre_filter,
      dimensions: r.dimensions,
      overall_alignment_score: r.overall_alignment_score,
      tldr_summary: r.tldr_summary,
      personas: r.personas,
      tradeoffs: r.tradeoffs,
      actions: r.actions,
      sources: r.sources,
    };
    const parsed = reviewOutputSchema.safeParse(output);
    if (!parsed.success) t.fail(`review of ${r.job_id} breaks the output schema: ${parsed.error.message}`);
    if (!r.pre_filter.recommend) {
      rejected++;
      t.equal(r.reviewer, 'pre_filter');
      t.equal(r.recommend, false);
    } else {
      t.equal(r.reviewer, 'openai@1');
      t.equal(r.model_used, 'gpt-4o-mini');
    }
  }
  t.ok(rejected > 0 && rejected < 50, `the fixtures include pre-filter rejections (${rejected}) and passes (${50 - rejected})`);
  t.equal(llm.requests.length, 50 - rejected, 'one LLM call per posting that passed the pre-filter, none for rejections');
  const stuck = await pool.query(`select count(*)::int n from app.jobs where status <> 'reviewed'`);
  t.equal(stuck.rows[0].n, 0);
});
