-- Deploy job_review:stats_counters to pg
-- requires: prefilter_state
-- requires: queue_functions
-- requires: api_roles

BEGIN;

-- app.job_review_stats() counted 1,000,000 postings and reviews on every
-- call (about 600 ms). Now statement-level triggers append one row of
-- deltas per statement (an append never waits on another writer, unlike a
-- shared counter row), the workers fold the deltas together every few
-- seconds, and the stats add up a handful of rows.
CREATE TABLE app_private.job_status_deltas (
  status text NOT NULL,
  delta bigint NOT NULL
);

CREATE TABLE app_private.review_stat_deltas (
  reviews bigint NOT NULL,
  recommended bigint NOT NULL,
  not_recommended bigint NOT NULL,
  overridden bigint NOT NULL,
  errored bigint NOT NULL,
  final_recommended bigint NOT NULL,
  processing_sum numeric NOT NULL,
  processing_n bigint NOT NULL,
  retry_sum numeric NOT NULL,
  score_sum numeric NOT NULL,
  score_n bigint NOT NULL
);

-- What a set of review rows adds (s = 1) or takes away (s = -1).
CREATE FUNCTION app_private.review_stat_delta_sql(source text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'INSERT INTO app_private.review_stat_deltas
          SELECT coalesce(sum(s), 0),
                 coalesce(sum(s) FILTER (WHERE recommend IS TRUE), 0),
                 coalesce(sum(s) FILTER (WHERE recommend IS FALSE), 0),
                 coalesce(sum(s) FILTER (WHERE override_recommend IS NOT NULL), 0),
                 coalesce(sum(s) FILTER (WHERE error_message IS NOT NULL), 0),
                 coalesce(sum(s) FILTER (WHERE final_recommend IS TRUE), 0),
                 coalesce(sum(s * processing_time_ms) FILTER (WHERE error_message IS NULL AND processing_time_ms IS NOT NULL), 0),
                 coalesce(sum(s) FILTER (WHERE error_message IS NULL AND processing_time_ms IS NOT NULL), 0),
                 coalesce(sum(s * retry_count), 0),
                 coalesce(sum(s * overall_alignment_score) FILTER (WHERE overall_alignment_score IS NOT NULL), 0),
                 coalesce(sum(s) FILTER (WHERE overall_alignment_score IS NOT NULL), 0)
            FROM (' || source || ') r
          HAVING count(*) > 0'
$$;

-- Transition tables are visible to the dynamic SQL of the trigger function.
-- The trigger functions are SECURITY DEFINER: an API role's write (requeue,
-- override) must count too, without access to the delta tables.
CREATE FUNCTION app_private.tg_job_reviews__stat_deltas() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  EXECUTE app_private.review_stat_delta_sql(CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT 1 AS s, * FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT -1 AS s, * FROM old_rows'
    ELSE 'SELECT 1 AS s, * FROM new_rows UNION ALL SELECT -1 AS s, * FROM old_rows' END);
  RETURN NULL;
END
$$;

CREATE FUNCTION app_private.tg_jobs__status_deltas() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO app_private.job_status_deltas (status, delta) SELECT n.status, count(*) FROM new_rows n GROUP BY n.status;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO app_private.job_status_deltas (status, delta) SELECT o.status, -count(*) FROM old_rows o GROUP BY o.status;
  ELSE
    INSERT INTO app_private.job_status_deltas (status, delta)
    SELECT x.status, sum(x.d)
      FROM (SELECT n.status, 1 AS d FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status <> o.status
            UNION ALL
            SELECT o.status, -1 AS d FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE n.status <> o.status) x
     GROUP BY x.status;
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION app_private.tg__reset_stat_deltas() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF TG_TABLE_NAME = 'jobs' THEN
    DELETE FROM app_private.job_status_deltas;
  END IF;
  DELETE FROM app_private.review_stat_deltas;
  RETURN NULL;
END
$$;

CREATE TRIGGER _800_status_deltas_inserted AFTER INSERT ON app.jobs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_jobs__status_deltas();
CREATE TRIGGER _800_status_deltas_updated AFTER UPDATE ON app.jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_jobs__status_deltas();
CREATE TRIGGER _800_status_deltas_deleted AFTER DELETE ON app.jobs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_jobs__status_deltas();
CREATE TRIGGER _800_stat_deltas_truncated AFTER TRUNCATE ON app.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__reset_stat_deltas();

CREATE TRIGGER _800_stat_deltas_inserted AFTER INSERT ON app.job_reviews
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_job_reviews__stat_deltas();
CREATE TRIGGER _800_stat_deltas_updated AFTER UPDATE ON app.job_reviews
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_job_reviews__stat_deltas();
CREATE TRIGGER _800_stat_deltas_deleted AFTER DELETE ON app.job_reviews
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_job_reviews__stat_deltas();
CREATE TRIGGER _800_stat_deltas_truncated AFTER TRUNCATE ON app.job_reviews
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__reset_stat_deltas();

-- What is there now, as the first deltas.
INSERT INTO app_private.job_status_deltas (status, delta) SELECT status, count(*) FROM app.jobs GROUP BY status;
DO $$ BEGIN EXECUTE app_private.review_stat_delta_sql('SELECT 1 AS s, * FROM app.job_reviews'); END $$;

-- Folds the deltas into one row per status and one row of review figures.
-- Concurrent runs are safe: a row deleted by one is not seen by the other.
CREATE FUNCTION app_private.compact_stat_deltas() RETURNS void
LANGUAGE sql VOLATILE AS $$
  WITH d AS (DELETE FROM app_private.job_status_deltas RETURNING status, delta)
  INSERT INTO app_private.job_status_deltas (status, delta) SELECT status, sum(delta) FROM d GROUP BY status;
  WITH d AS (DELETE FROM app_private.review_stat_deltas RETURNING *)
  INSERT INTO app_private.review_stat_deltas
  SELECT sum(reviews), sum(recommended), sum(not_recommended), sum(overridden), sum(errored), sum(final_recommended),
         sum(processing_sum), sum(processing_n), sum(retry_sum), sum(score_sum), sum(score_n)
    FROM d HAVING count(*) > 0;
$$;

-- The same answer as before, from the counters. SECURITY DEFINER: viewers
-- may see the figures, not the delta tables.
CREATE OR REPLACE FUNCTION app.job_review_stats() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT jsonb_build_object(
    'job_status_counts', (
      SELECT jsonb_object_agg(s.status, coalesce(c.n, 0))
        FROM unnest(ARRAY['pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived']) AS s(status)
        LEFT JOIN (SELECT d.status, sum(d.delta) AS n FROM app_private.job_status_deltas d GROUP BY d.status) c ON c.status = s.status),
    'review_stats', (
      SELECT jsonb_build_object(
               'total_reviews', coalesce(sum(t.reviews), 0),
               'recommended', coalesce(sum(t.recommended), 0),
               'not_recommended', coalesce(sum(t.not_recommended), 0),
               'overridden', coalesce(sum(t.overridden), 0),
               'errored', coalesce(sum(t.errored), 0),
               'final_recommended', coalesce(sum(t.final_recommended), 0),
               'avg_processing_time_ms', round(sum(t.processing_sum) / nullif(sum(t.processing_n), 0), 1),
               'avg_retry_count', round(sum(t.retry_sum) / nullif(sum(t.reviews), 0), 2),
               'avg_score', round(sum(t.score_sum) / nullif(sum(t.score_n), 0), 2))
        FROM app_private.review_stat_deltas t),
    'queue_info', app_private.review_queue_figures(),
    'throughput', (
      SELECT jsonb_build_object(
               'reviews_last_hour', count(*),
               'reviews_per_minute', round(count(*) / 60.0, 2))
        FROM app.job_reviews
       WHERE reviewed_at > now() - interval '1 hour'),
    'generated_at', now())
$$;

REVOKE EXECUTE ON FUNCTION
  app_private.review_stat_delta_sql(text),
  app_private.tg_job_reviews__stat_deltas(),
  app_private.tg_jobs__status_deltas(),
  app_private.tg__reset_stat_deltas(),
  app_private.compact_stat_deltas()
FROM PUBLIC;

COMMIT;
