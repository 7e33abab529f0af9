// GraphQL queries over a seeded database: every filter and ordering the
// issue names returns exactly the expected rows, cursor pagination walks all
// rows once, and the inbox, stats and status fields answer.
import t from 'tap';
import { dataOf, gql, seed, startApi } from './helpers.ts';

const { api, db, tokens } = await startApi(t);
const { ids } = await seed(db.pool);
const name = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
const token = tokens.viewer;

async function jobs(args: string): Promise<string[]> {
  const data = dataOf(await gql(api, token, `{ jobs(${args}) { nodes { rowId } } }`));
  return data.jobs.nodes.map((n: { rowId: string }) => name[n.rowId]);
}
async function reviews(args: string): Promise<string[]> {
  const data = dataOf(await gql(api, token, `{ jobReviews(${args}) { nodes { jobId } } }`));
  return data.jobReviews.nodes.map((n: { jobId: string }) => name[n.jobId]);
}
const sorted = (xs: string[]) => [...xs].sort();

t.test('filters on postings', async (t) => {
  t.same(sorted(await jobs(`filter: { status: { equalTo: "reviewed" } }`)), ['A', 'B', 'C'], 'status');
  t.same(sorted(await jobs(`filter: { status: { in: ["error", "duplicate"] } }`)), ['D', 'F'], 'status in');
  t.same(sorted(await jobs(`filter: { company: { equalTo: "Acme" } }`)), ['A', 'C'], 'company');
  t.same(sorted(await jobs(`filter: { company: { startsWithInsensitive: "acme" } }`)), ['A', 'C', 'F'], 'company prefix');
  t.same(sorted(await jobs(`filter: { isRemote: { equalTo: true } }`)), ['A', 'C', 'E'], 'remote');
  t.same(sorted(await jobs(`filter: { isRemote: { equalTo: false } }`)), ['B'], 'onsite');
  t.same(sorted(await jobs(`filter: { datePosted: { greaterThanOrEqualTo: "2026-11-20" } }`)), ['A', 'C', 'E'], 'date posted from');
  t.same(sorted(await jobs(`filter: { datePosted: { isNull: true } }`)), ['D', 'F'], 'no date posted');
  t.same(sorted(await jobs(`filter: { jobReview: { overallAlignmentScore: { greaterThanOrEqualTo: "6" } } }`)), ['A', 'C'], 'score, through the review');
  t.same(sorted(await jobs(`filter: { jobReview: { recommend: { equalTo: true } } }`)), ['A', 'C'], 'recommendation, through the review');
  t.same(sorted(await jobs(`filter: { jobReview: { finalRecommend: { equalTo: true } } }`)), ['A'], 'final decision, through the review');
  t.same(sorted(await jobs(`filter: { jobReviewExists: false }`)), ['E', 'F'], 'not reviewed');
  t.same(sorted(await jobs(`filter: { original: { rowId: { equalTo: "${ids.A}" } } }`)), ['F'], 'duplicates of A');
  t.same(
    sorted(await jobs(`filter: { and: [{ company: { equalTo: "Acme" } }, { datePosted: { lessThan: "2026-11-21" } }] }`)),
    ['A'],
    'combined',
  );
});

t.test('filters on reviews', async (t) => {
  t.same(sorted(await reviews(`filter: { overallAlignmentScore: { greaterThan: "5" } }`)), ['A', 'C'], 'score');
  t.same(sorted(await reviews(`filter: { recommend: { equalTo: false } }`)), ['B'], 'recommendation');
  t.same(sorted(await reviews(`filter: { recommend: { isNull: true } }`)), ['D'], 'failed reviews have no recommendation');
  t.same(sorted(await reviews(`filter: { finalRecommend: { equalTo: false } }`)), ['B', 'C'], 'final decision counts the override');
  t.same(sorted(await reviews(`filter: { overrideRecommend: { isNull: false } }`)), ['C'], 'overridden');
  t.same(sorted(await reviews(`filter: { job: { isRemote: { equalTo: true } } }`)), ['A', 'C'], 'through the posting');
});

t.test('ordering', async (t) => {
  t.same((await jobs(`orderBy: TITLE_ASC`)).slice(0, 4), ['D', 'E', 'C', 'B'], 'title ascending');
  t.same((await jobs(`orderBy: TITLE_ASC`)).slice(4).sort(), ['A', 'F'], 'the two Staff Engineers last');
  t.same(await jobs(`orderBy: [DATE_POSTED_DESC, TITLE_ASC], filter: { datePosted: { isNull: false } }`), ['E', 'C', 'A', 'B'], 'date posted, newest first');
  t.same(await jobs(`orderBy: [COMPANY_ASC, TITLE_ASC]`), ['C', 'A', 'F', 'B', 'E', 'D'], 'company then title');
  t.same(await reviews(`orderBy: OVERALL_ALIGNMENT_SCORE_DESC, filter: { overallAlignmentScore: { isNull: false } }`), ['A', 'C', 'B'], 'best score first');
  t.same(await reviews(`orderBy: OVERALL_ALIGNMENT_SCORE_ASC, filter: { overallAlignmentScore: { isNull: false } }`), ['B', 'C', 'A'], 'worst score first');
});

t.test('cursor pagination walks every row exactly once', async (t) => {
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const data: any = dataOf(
      await gql(api, token, `query($after: Cursor) { jobs(first: 2, after: $after, orderBy: [TITLE_ASC, ROW_ID_ASC]) { totalCount pageInfo { hasNextPage endCursor } nodes { rowId } } }`, { after }),
    );
    t.equal(data.jobs.totalCount, 6);
    seen.push(...data.jobs.nodes.map((n: { rowId: string }) => name[n.rowId]));
    if (!data.jobs.pageInfo.hasNextPage) break;
    after = data.jobs.pageInfo.endCursor;
  }
  t.equal(seen.length, 6, 'six rows in all');
  t.same(sorted(seen), ['A', 'B', 'C', 'D', 'E', 'F'], 'each one once');
  const back = dataOf(await gql(api, token, `{ jobs(last: 2, orderBy: [TITLE_ASC, ROW_ID_ASC]) { nodes { rowId } } }`));
  t.same(back.jobs.nodes.map((n: { rowId: string }) => name[n.rowId]), seen.slice(4), 'last: 2 is the final page');
});

t.test('the review inbox: reviewed originals not overridden, best score first', async (t) => {
  const data = dataOf(await gql(api, token, `{ reviewInbox { totalCount nodes { jobId overallAlignmentScore } } }`));
  t.same(data.reviewInbox.nodes.map((n: { jobId: string }) => name[n.jobId]), ['A', 'B']);
  t.equal(data.reviewInbox.totalCount, 2);
  const page = dataOf(await gql(api, token, `{ reviewInbox(first: 1) { nodes { jobId } pageInfo { hasNextPage } } }`));
  t.same(page.reviewInbox.nodes.map((n: { jobId: string }) => name[n.jobId]), ['A']);
  t.equal(page.reviewInbox.pageInfo.hasNextPage, true);
});

t.test('jobReviewStats and jobReviewStatus', async (t) => {
  const data = dataOf(await gql(api, token, `query($id: UUID!) { jobReviewStats jobReviewStatus(jobId: $id) }`, { id: ids.A }));
  t.same(data.jobReviewStats.job_status_counts, { pending_review: 1, in_review: 0, reviewed: 3, error: 1, duplicate: 1, archived: 0 });
  t.equal(data.jobReviewStats.review_stats.total_reviews, 4);
  t.equal(data.jobReviewStats.review_stats.overridden, 1);
  t.equal(data.jobReviewStats.queue_info.total, 1, 'E is queued');
  t.equal(data.jobReviewStatus.job_id, ids.A);
  t.equal(data.jobReviewStatus.review_exists, true);
  t.equal(data.jobReviewStatus.review_data.overall_alignment_score, 8.5);
  const none = dataOf(await gql(api, token, `{ jobReviewStatus(jobId: "00000000-0000-0000-0000-000000000000") }`));
  t.equal(none.jobReviewStatus, null, 'unknown posting: null');
});

t.test('relations and aggregates', async (t) => {
  const data = dataOf(
    await gql(api, token, `query($id: UUID!, $f: UUID!) { job(rowId: $id) { title jobReview { finalRecommend } } dup: job(rowId: $f) { original { rowId } } jobs { aggregates { distinctCount { company } } } }`, { id: ids.A, f: ids.F }),
  );
  t.equal(data.job.title, 'Staff Engineer');
  t.equal(data.job.jobReview.finalRecommend, true);
  t.equal(data.dup.original.rowId, ids.A, 'a duplicate points at its original');
  t.equal(Number(data.jobs.aggregates.distinctCount.company), 5);
});
