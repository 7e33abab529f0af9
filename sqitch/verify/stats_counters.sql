-- Verify job_review:stats_counters on pg

BEGIN;

SELECT status, delta FROM app_private.job_status_deltas WHERE false;
SELECT reviews, recommended, not_recommended, overridden, errored, final_recommended,
       processing_sum, processing_n, retry_sum, score_sum, score_n
  FROM app_private.review_stat_deltas WHERE false;
SELECT 1/(prosecdef)::int FROM pg_proc WHERE oid = 'app.job_review_stats()'::regprocedure;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_800_status_deltas_updated';
SELECT 'app_private.compact_stat_deltas()'::regprocedure;

ROLLBACK;
