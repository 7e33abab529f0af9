-- Deploy job_review:queue_functions to pg
-- requires: enqueue
-- requires: job_reviews

BEGIN;

-- Queue figures read from graphile-worker's own tables, for review_job only.
-- SECURITY DEFINER so that callers need no rights on the worker schema.
CREATE FUNCTION app_private.review_queue_figures() RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
             'waiting',   count(*) FILTER (WHERE q.locked_at IS NULL AND q.attempts < q.max_attempts AND q.run_at <= now()),
             'running',   count(*) FILTER (WHERE q.locked_at IS NOT NULL),
             'scheduled', count(*) FILTER (WHERE q.locked_at IS NULL AND q.attempts < q.max_attempts AND q.run_at > now()),
             'failed',    count(*) FILTER (WHERE q.locked_at IS NULL AND q.attempts >= q.max_attempts),
             'total',     count(*))
      FROM graphile_worker._private_jobs q
      JOIN graphile_worker._private_tasks t ON t.id = q.task_id
     WHERE t.identifier = 'review_job');
END
$$;

-- The queue entry of one posting, or NULL when it has none.
CREATE FUNCTION app_private.review_queue_entry(job_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
             'id', q.id, 'run_at', q.run_at, 'attempts', q.attempts, 'max_attempts', q.max_attempts,
             'priority', q.priority, 'locked_at', q.locked_at, 'locked_by', q.locked_by,
             'last_error', q.last_error)
      FROM graphile_worker._private_jobs q
     WHERE q.key = 'review:' || job_id);
END
$$;

-- Pending postings that have no queue entry (inserted while the trigger was
-- disabled, or restored from a backup) are queued, at most max_jobs of them,
-- highest priority first.
CREATE TYPE app.queue_pending_result AS (
  queued_count integer,
  already_queued integer,
  total_pending integer
);

CREATE FUNCTION app.queue_pending_reviews(max_jobs integer DEFAULT 50, max_retries integer DEFAULT NULL)
RETURNS app.queue_pending_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result app.queue_pending_result;
  unqueued uuid[];
BEGIN
  IF max_jobs IS NULL OR max_jobs < 1 THEN
    RAISE EXCEPTION 'max_jobs must be at least 1 (got %)', max_jobs USING ERRCODE = '22023';
  END IF;
  IF max_retries IS NOT NULL AND (max_retries < 1 OR max_retries > 100) THEN
    RAISE EXCEPTION 'max_retries must be from 1 to 100 (got %)', max_retries USING ERRCODE = '22023';
  END IF;

  SELECT count(*) INTO result.total_pending FROM app.jobs WHERE status = 'pending_review';

  SELECT coalesce(array_agg(s.id), '{}') INTO unqueued FROM (
    SELECT j.id
      FROM app.jobs j
     WHERE j.status = 'pending_review'
       AND NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs q WHERE q.key = 'review:' || j.id)
     ORDER BY j.priority, j.ingested_at, j.id
     LIMIT max_jobs
       FOR UPDATE OF j SKIP LOCKED) s;

  IF max_retries IS NOT NULL THEN
    UPDATE app.jobs SET max_review_attempts = max_retries WHERE id = ANY (unqueued);
  END IF;

  result.queued_count := app_private.enqueue_reviews(unqueued);
  SELECT count(*) INTO result.already_queued
    FROM app.jobs j
   WHERE j.status = 'pending_review'
     AND EXISTS (SELECT 1 FROM graphile_worker._private_jobs q WHERE q.key = 'review:' || j.id)
     AND NOT (j.id = ANY (unqueued));
  RETURN result;
END
$$;

COMMENT ON FUNCTION app.queue_pending_reviews(integer, integer) IS 'Queues up to max_jobs pending postings that have no queue entry; returns queued / already queued / total pending.';

-- Failed postings (all, or the ones named) go back to pending_review; the
-- update trigger queues them. Attempts start again from zero.
CREATE FUNCTION app.requeue_failed_reviews(max_retries integer DEFAULT NULL, job_ids uuid[] DEFAULT NULL)
RETURNS SETOF app.jobs
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF max_retries IS NOT NULL AND (max_retries < 1 OR max_retries > 100) THEN
    RAISE EXCEPTION 'max_retries must be from 1 to 100 (got %)', max_retries USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    UPDATE app.jobs j
       SET status = 'pending_review',
           review_attempts = 0,
           last_error = NULL,
           next_review_at = NULL,
           claimed_by = NULL,
           claimed_at = NULL,
           max_review_attempts = coalesce(max_retries, j.max_review_attempts)
     WHERE j.status = 'error'
       AND (job_ids IS NULL OR j.id = ANY (job_ids))
    RETURNING j.*;
END
$$;

COMMENT ON FUNCTION app.requeue_failed_reviews(integer, uuid[]) IS 'Puts failed postings (all, or those named) back to pending_review and queues them.';

-- One posting and its review, in the seed's shape (review_exists, review_data).
CREATE FUNCTION app.job_review_status(job_id uuid) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
           'job_id', j.id,
           'title', j.title,
           'company', j.company,
           'site', j.site,
           'job_url', j.job_url,
           'status', j.status,
           'priority', j.priority,
           'review_attempts', j.review_attempts,
           'max_review_attempts', j.max_review_attempts,
           'last_error', j.last_error,
           'next_review_at', j.next_review_at,
           'duplicate_of', j.duplicate_of,
           'updated_at', j.updated_at,
           'queue_entry', app_private.review_queue_entry(j.id),
           'review_exists', r.id IS NOT NULL,
           'review_data', CASE WHEN r.id IS NULL THEN NULL ELSE to_jsonb(r) END)
    FROM app.jobs j
    LEFT JOIN app.job_reviews r ON r.job_id = j.id
   WHERE j.id = job_review_status.job_id
$$;

COMMENT ON FUNCTION app.job_review_status(uuid) IS 'A posting with its queue entry and review; NULL when no posting has that id.';

-- Everything `stats` shows, in the seed's field names.
CREATE FUNCTION app.job_review_stats() RETURNS jsonb
LANGUAGE sql STABLE AS $$
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

COMMENT ON FUNCTION app.job_review_stats() IS 'Status counts, review figures, queue figures and last-hour throughput.';

COMMIT;
