-- Deploy job_review:dashboard_functions to pg
-- requires: review_quality

BEGIN;

-- What the dashboard's overview reads besides app.job_review_stats(): the
-- review rate over time and the worker processes that are alive. Both are
-- read-only (STABLE) and granted to viewers.

-- Reviews finished per time bucket over the last window_minutes: reviewed
-- (a recommendation was stored) and failed (the last attempt failed and the
-- posting went to error). Every bucket is returned, empty ones with zeros,
-- oldest first; the last bucket is the one now() falls in.
CREATE FUNCTION app.review_throughput(window_minutes integer DEFAULT 60, bucket_minutes integer DEFAULT 1)
RETURNS TABLE (bucket_start timestamptz, reviewed integer, failed integer)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
DECLARE
  step double precision;
  buckets integer;
  last_start timestamptz;
BEGIN
  IF window_minutes IS NULL OR window_minutes < 1 OR window_minutes > 10080 THEN
    RAISE EXCEPTION 'window_minutes must be from 1 to 10080 (got %)', window_minutes USING ERRCODE = '22023';
  END IF;
  IF bucket_minutes IS NULL OR bucket_minutes < 1 OR bucket_minutes > window_minutes THEN
    RAISE EXCEPTION 'bucket_minutes must be from 1 to window_minutes (got %)', bucket_minutes USING ERRCODE = '22023';
  END IF;
  step := bucket_minutes * 60;
  buckets := ceil(window_minutes::numeric / bucket_minutes)::integer;
  last_start := to_timestamp(floor(extract(epoch FROM now()) / step) * step);
  RETURN QUERY
    WITH series AS (
      SELECT last_start - make_interval(secs => step * (buckets - 1 - g)) AS bucket_start
        FROM generate_series(0, buckets - 1) AS g
    ), counted AS (
      SELECT to_timestamp(floor(extract(epoch FROM r.reviewed_at) / step) * step) AS bucket_start,
             count(*) FILTER (WHERE r.error_message IS NULL) AS reviewed,
             count(*) FILTER (WHERE r.error_message IS NOT NULL) AS failed
        FROM app.job_reviews r
       WHERE r.reviewed_at >= last_start - make_interval(secs => step * (buckets - 1))
       GROUP BY 1
    )
    SELECT s.bucket_start, coalesce(c.reviewed, 0)::integer, coalesce(c.failed, 0)::integer
      FROM series s
      LEFT JOIN counted c ON c.bucket_start = s.bucket_start
     ORDER BY s.bucket_start;
END
$$;

COMMENT ON FUNCTION app.review_throughput(integer, integer) IS 'Reviews stored and failed per bucket of bucket_minutes over the last window_minutes, oldest first, empty buckets included.';

-- The review worker processes: alive (heartbeat within timeout_seconds, the
-- same rule as JOB_REVIEW_WORKER_TIMEOUT) or presumed dead and not yet
-- recovered. SECURITY DEFINER because app_private.workers has no grants.
CREATE FUNCTION app.review_workers(timeout_seconds integer DEFAULT 30) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  cutoff timestamptz;
BEGIN
  IF timeout_seconds IS NULL OR timeout_seconds < 1 THEN
    RAISE EXCEPTION 'timeout_seconds must be at least 1 (got %)', timeout_seconds USING ERRCODE = '22023';
  END IF;
  cutoff := now() - make_interval(secs => timeout_seconds);
  RETURN (
    SELECT jsonb_build_object(
             'alive', count(*) FILTER (WHERE w.last_seen_at >= cutoff),
             'presumed_dead', count(*) FILTER (WHERE w.last_seen_at < cutoff),
             'concurrency', coalesce(sum(w.concurrency) FILTER (WHERE w.last_seen_at >= cutoff), 0),
             'workers', coalesce(jsonb_agg(jsonb_build_object(
                          'id', w.id, 'hostname', w.hostname, 'pid', w.pid, 'concurrency', w.concurrency,
                          'started_at', w.started_at, 'last_seen_at', w.last_seen_at,
                          'alive', w.last_seen_at >= cutoff) ORDER BY w.started_at, w.id), '[]'::jsonb),
             'generated_at', now())
      FROM app_private.workers w);
END
$$;

COMMENT ON FUNCTION app.review_workers(integer) IS 'Review worker processes: how many are alive (heartbeat within timeout_seconds), presumed dead, their total concurrency, and each one.';

-- New functions are executable by PUBLIC by default (see api_roles).
REVOKE EXECUTE ON FUNCTION app.review_throughput(integer, integer), app.review_workers(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.review_throughput(integer, integer), app.review_workers(integer) TO job_review_viewer;

COMMIT;
