-- Revert job_review:stats_counters from pg

BEGIN;

DROP TRIGGER _800_status_deltas_inserted ON app.jobs;
DROP TRIGGER _800_status_deltas_updated ON app.jobs;
DROP TRIGGER _800_status_deltas_deleted ON app.jobs;
DROP TRIGGER _800_stat_deltas_truncated ON app.jobs;
DROP TRIGGER _800_stat_deltas_inserted ON app.job_reviews;
DROP TRIGGER _800_stat_deltas_updated ON app.job_reviews;
DROP TRIGGER _800_stat_deltas_deleted ON app.job_reviews;
DROP TRIGGER _800_stat_deltas_truncated ON app.job_reviews;

-- job_review_stats as queue_functions deployed it (privileges are kept by CREATE OR REPLACE).
CREATE OR REPLACE FUNCTION app.job_review_stats() RETURNS jsonb
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT jsonb_build_object(
    'job_status_counts', (
      SELECT jsonb_object_agg(s.status, coalesce(c.n, 0))
        FROM unnest(ARRAY['pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived']) AS s(status)
        LEFT JOIN (SELECT status, count(*) AS n FROM app.jobs GROUP BY status) c ON c.status = s.status),
    'review_stats', (
      SELECT jsonb_build_object(
               'total_reviews', count(*),
               'recommended', count(*) FILTER (WHERE recommend),
               'not_recommended', count(*) FILTER (WHERE NOT recommend),
               'overridden', count(*) FILTER (WHERE override_recommend IS NOT NULL),
               'errored', count(*) FILTER (WHERE error_message IS NOT NULL),
               'final_recommended', count(*) FILTER (WHERE final_recommend),
               'avg_processing_time_ms', round(avg(processing_time_ms) FILTER (WHERE error_message IS NULL), 1),
               'avg_retry_count', round(avg(retry_count), 2),
               'avg_score', round(avg(overall_alignment_score), 2))
        FROM app.job_reviews),
    'queue_info', app_private.review_queue_figures(),
    'throughput', (
      SELECT jsonb_build_object(
               'reviews_last_hour', count(*),
               'reviews_per_minute', round(count(*) / 60.0, 2))
        FROM app.job_reviews
       WHERE reviewed_at > now() - interval '1 hour'),
    'generated_at', now())
$$;

DROP FUNCTION app_private.compact_stat_deltas();
DROP FUNCTION app_private.tg__reset_stat_deltas();
DROP FUNCTION app_private.tg_jobs__status_deltas();
DROP FUNCTION app_private.tg_job_reviews__stat_deltas();
DROP FUNCTION app_private.review_stat_delta_sql(text);
DROP TABLE app_private.review_stat_deltas;
DROP TABLE app_private.job_status_deltas;

COMMIT;
