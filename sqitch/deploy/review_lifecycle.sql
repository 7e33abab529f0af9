-- Deploy job_review:review_lifecycle to pg
-- requires: queue_functions

BEGIN;

-- Every state transition a review makes, as SQL the worker, the CLI and the
-- API share. Each takes arrays so that concurrent tasks can be batched into
-- one statement. The fence on (claimed_by, review_attempts) is what stops a
-- worker that was presumed dead from writing a second review when it returns.

-- The queue entry that holds the current claim.
ALTER TABLE app.jobs ADD COLUMN claim_queue_id bigint;

-- Live worker processes. pool_ids are the graphile-worker pool ids that lock
-- queue entries on the process's behalf.
CREATE TABLE app_private.workers (
  id text PRIMARY KEY,
  hostname text NOT NULL,
  pid integer NOT NULL,
  pool_ids text[] NOT NULL DEFAULT '{}',
  concurrency integer,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Claims postings for review: pending_review -> in_review, one attempt
-- counted. A queue entry that graphile-worker runs again after the task itself
-- crashed may take back its own claim (same queue entry id).
CREATE FUNCTION app_private.claim_reviews(worker_id text, job_ids uuid[], queue_ids bigint[])
RETURNS SETOF app.jobs
LANGUAGE sql VOLATILE AS $$
  UPDATE app.jobs j
     SET status = 'in_review',
         review_attempts = j.review_attempts + 1,
         claimed_by = worker_id,
         claimed_at = now(),
         claim_queue_id = c.queue_id
    FROM unnest(job_ids, queue_ids) AS c(job_id, queue_id)
   WHERE j.id = c.job_id
     AND (j.status = 'pending_review' OR (j.status = 'in_review' AND j.claim_queue_id = c.queue_id))
  RETURNING j.*
$$;

-- Stores finished reviews and marks their postings reviewed, in one
-- statement. Only the current claim may record; returns the postings recorded.
CREATE FUNCTION app_private.record_reviews(worker_id text, reviews jsonb)
RETURNS SETOF uuid
LANGUAGE sql VOLATILE AS $$
  WITH input AS (
    SELECT *
      FROM jsonb_to_recordset(reviews) AS r(
        job_id uuid, attempt integer, recommend boolean, confidence text, rationale text,
        overall_alignment_score numeric, tldr_summary text, dimensions jsonb, pre_filter jsonb,
        personas jsonb, tradeoffs jsonb, actions jsonb, sources jsonb, crew_output jsonb,
        reviewer text, variant text, model_used text, processing_time_ms integer)
  ), fenced AS (
    UPDATE app.jobs j
       SET status = 'reviewed', last_error = NULL, next_review_at = NULL,
           claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL
      FROM input i
     WHERE j.id = i.job_id AND j.status = 'in_review'
       AND j.claimed_by = worker_id AND j.review_attempts = i.attempt
    RETURNING j.id, j.review_attempts
  )
  INSERT INTO app.job_reviews AS r (
    job_id, recommend, confidence, rationale, overall_alignment_score, tldr_summary, dimensions,
    pre_filter, personas, tradeoffs, actions, sources, crew_output, reviewer, variant, model_used,
    processing_time_ms, retry_count, error_message, reviewed_at)
  SELECT i.job_id, i.recommend, i.confidence, i.rationale, i.overall_alignment_score, i.tldr_summary,
         i.dimensions, i.pre_filter, i.personas, i.tradeoffs, i.actions, i.sources, i.crew_output,
         i.reviewer, i.variant, i.model_used, i.processing_time_ms, f.review_attempts - 1, NULL, now()
    FROM input i JOIN fenced f ON f.id = i.job_id
  ON CONFLICT (job_id) DO UPDATE SET
    recommend = excluded.recommend, confidence = excluded.confidence, rationale = excluded.rationale,
    overall_alignment_score = excluded.overall_alignment_score, tldr_summary = excluded.tldr_summary,
    dimensions = excluded.dimensions, pre_filter = excluded.pre_filter, personas = excluded.personas,
    tradeoffs = excluded.tradeoffs, actions = excluded.actions, sources = excluded.sources,
    crew_output = excluded.crew_output, reviewer = excluded.reviewer, variant = excluded.variant,
    model_used = excluded.model_used, processing_time_ms = excluded.processing_time_ms,
    retry_count = excluded.retry_count, error_message = NULL, reviewed_at = now()
  RETURNING r.job_id
$$;

-- Failed attempts: back to pending_review after retry_delay * 2^(attempt-1)
-- seconds plus up to 25% jitter (the enqueue trigger schedules it), or
-- error once the attempts are used up: the last error kept, recommend NULL.
CREATE FUNCTION app_private.record_review_failures(
  worker_id text, failures jsonb, default_max_attempts integer, retry_delay_seconds double precision)
RETURNS TABLE (job_id uuid, status text, next_review_at timestamptz)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(failures) AS f(job_id uuid, attempt integer, error text, retryable boolean)
  ), updated AS (
    UPDATE app.jobs j
       SET status = CASE WHEN i.retryable AND j.review_attempts < coalesce(j.max_review_attempts, default_max_attempts)
                         THEN 'pending_review' ELSE 'error' END,
           last_error = i.error,
           next_review_at = CASE WHEN i.retryable AND j.review_attempts < coalesce(j.max_review_attempts, default_max_attempts)
                                 THEN now() + make_interval(secs => retry_delay_seconds * 2 ^ (j.review_attempts - 1) * (1 + random() * 0.25))
                            END,
           claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL
      FROM input i
     WHERE j.id = i.job_id AND j.status = 'in_review'
       AND j.claimed_by = worker_id AND j.review_attempts = i.attempt
    RETURNING j.id, j.status, j.next_review_at, j.review_attempts, j.last_error
  ), errored AS (
    INSERT INTO app.job_reviews AS r (job_id, recommend, error_message, retry_count, reviewed_at)
    SELECT u.id, NULL, u.last_error, u.review_attempts, now() FROM updated u WHERE u.status = 'error'
    ON CONFLICT ON CONSTRAINT job_reviews_job_id_key DO UPDATE SET
      recommend = NULL, confidence = NULL, rationale = NULL, overall_alignment_score = NULL,
      tldr_summary = NULL, dimensions = NULL, error_message = excluded.error_message,
      retry_count = excluded.retry_count, reviewed_at = now()
  )
  SELECT u.id, u.status, u.next_review_at FROM updated u;
END
$$;

-- Hands claimed postings back without using up an attempt: at shutdown, or
-- when the reviewer's endpoint asked us to slow down (HTTP 429).
CREATE FUNCTION app_private.release_reviews(worker_id text, job_ids uuid[], retry_at timestamptz DEFAULT NULL, reason text DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE sql VOLATILE AS $$
  UPDATE app.jobs j
     SET status = 'pending_review',
         review_attempts = greatest(j.review_attempts - 1, 0),
         next_review_at = retry_at,
         last_error = coalesce(reason, j.last_error),
         claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL
   WHERE j.id = ANY (job_ids) AND j.status = 'in_review' AND j.claimed_by = worker_id
  RETURNING j.id
$$;

-- Registers or refreshes a worker. Returns false when the worker had been
-- presumed dead and removed (it then re-registers, but its old claims are gone).
CREATE FUNCTION app_private.worker_heartbeat(worker_id text, hostname text, pid integer, pool_ids text[], concurrency integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  known boolean;
BEGIN
  UPDATE app_private.workers w
     SET last_seen_at = now(), pool_ids = worker_heartbeat.pool_ids, concurrency = worker_heartbeat.concurrency
   WHERE w.id = worker_id;
  known := FOUND;
  IF NOT known THEN
    INSERT INTO app_private.workers (id, hostname, pid, pool_ids, concurrency)
    VALUES (worker_id, hostname, pid, pool_ids, concurrency)
    ON CONFLICT (id) DO UPDATE SET last_seen_at = now();
  END IF;
  RETURN known;
END
$$;

CREATE FUNCTION app_private.worker_deregister(worker_id text) RETURNS void
LANGUAGE sql VOLATILE AS $$
  DELETE FROM app_private.workers WHERE id = worker_id
$$;

-- Any live worker runs this: workers silent for longer than timeout_seconds
-- are presumed dead, their queue entries unlocked and their postings put back
-- to pending_review (which re-queues them), well before graphile-worker's own
-- 4-hour lock timeout. SKIP LOCKED lets many workers run it at once.
CREATE FUNCTION app_private.recover_dead_workers(timeout_seconds double precision)
RETURNS TABLE (worker_id text, released integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  dead record;
  n integer;
  cutoff timestamptz := now() - make_interval(secs => timeout_seconds);
BEGIN
  FOR dead IN
    SELECT w.id, w.pool_ids FROM app_private.workers w
     WHERE w.last_seen_at < cutoff
       FOR UPDATE SKIP LOCKED
  LOOP
    -- Unlock first: the re-queue below then updates the existing entry
    -- instead of adding a second one.
    PERFORM graphile_worker.force_unlock_workers(dead.pool_ids);
    UPDATE graphile_worker._private_jobs q
       SET locked_at = NULL, locked_by = NULL
      FROM app.jobs j
     WHERE j.status = 'in_review' AND j.claimed_by = dead.id AND q.key = 'review:' || j.id;
    UPDATE app.jobs j
       SET status = 'pending_review', claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL,
           last_error = 'worker ' || dead.id || ' stopped responding during the review'
     WHERE j.status = 'in_review' AND j.claimed_by = dead.id;
    GET DIAGNOSTICS n = ROW_COUNT;
    DELETE FROM app_private.workers w WHERE w.id = dead.id;
    worker_id := dead.id;
    released := n;
    RETURN NEXT;
  END LOOP;

  -- Queue entries of our tasks locked by a pool that no registered worker
  -- owns (a worker killed between starting its pool and its first heartbeat)
  -- for longer than the timeout: unlock them for the live workers.
  UPDATE graphile_worker._private_jobs q
     SET locked_at = NULL, locked_by = NULL
    FROM graphile_worker._private_tasks k
   WHERE k.id = q.task_id
     AND k.identifier IN ('review_job', 'deliver_webhook', 'sweep_pending', 'apply_retention', 'backfill_prefilter')
     AND q.locked_at < cutoff
     AND NOT EXISTS (SELECT 1 FROM app_private.workers w WHERE q.locked_by = ANY (w.pool_ids));

  -- Claims by a process that never registered (or was removed) and has been
  -- silent as long.
  UPDATE app.jobs j
     SET status = 'pending_review', claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL,
         last_error = 'claim by unknown worker ' || j.claimed_by || ' expired'
   WHERE j.status = 'in_review' AND j.claimed_at < cutoff
     AND NOT EXISTS (SELECT 1 FROM app_private.workers w WHERE w.id = j.claimed_by);
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    worker_id := NULL;
    released := n;
    RETURN NEXT;
  END IF;
END
$$;

COMMIT;
