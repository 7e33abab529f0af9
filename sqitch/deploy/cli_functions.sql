-- Deploy job_review:cli_functions to pg
-- requires: api_functions

BEGIN;

-- What the `job-review` CLI needs beyond the shared queue functions. All of
-- them live in app_private: the CLI runs as the owner, and nothing here is
-- part of the API (no grants; PUBLIC's EXECUTE is revoked below).

-- `inspect`: graphile-worker's queue entries themselves, with their state,
-- run time, attempts, lock holder and last error, and for review entries
-- the posting they review. SECURITY DEFINER, so the caller needs no rights
-- on the worker schema. total is the number of entries matching the filter.
CREATE FUNCTION app_private.queue_entries(filter_state text DEFAULT NULL, max_rows integer DEFAULT 50)
RETURNS TABLE (
  id bigint, task text, key text, job_id uuid, title text, company text, job_status text,
  state text, priority smallint, run_at timestamptz, attempts smallint, max_attempts smallint,
  locked_at timestamptz, locked_by text, last_error text, created_at timestamptz, total bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
  IF queue_entries.filter_state IS NOT NULL AND queue_entries.filter_state NOT IN ('waiting', 'running', 'scheduled', 'failed') THEN
    RAISE EXCEPTION 'state must be waiting, running, scheduled or failed (got %)', queue_entries.filter_state USING ERRCODE = '22023';
  END IF;
  IF max_rows IS NULL OR max_rows < 1 THEN
    RAISE EXCEPTION 'max_rows must be at least 1 (got %)', max_rows USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    WITH entries AS (
      SELECT q.*, t.identifier AS task_identifier,
             CASE WHEN q.locked_at IS NOT NULL THEN 'running'
                  WHEN q.attempts >= q.max_attempts THEN 'failed'
                  WHEN q.run_at > now() THEN 'scheduled'
                  ELSE 'waiting' END AS entry_state,
             CASE WHEN q.key ~ '^review:[0-9a-fA-F-]{36}$' THEN substr(q.key, 8)::uuid END AS review_job_id
        FROM graphile_worker._private_jobs q
        JOIN graphile_worker._private_tasks t ON t.id = q.task_id
    )
    SELECT e.id, e.task_identifier, e.key, e.review_job_id, j.title, j.company, j.status,
           e.entry_state, e.priority, e.run_at, e.attempts, e.max_attempts,
           e.locked_at, e.locked_by, e.last_error, e.created_at, count(*) OVER ()
      FROM entries e
      LEFT JOIN app.jobs j ON j.id = e.review_job_id
     WHERE queue_entries.filter_state IS NULL OR e.entry_state = queue_entries.filter_state
     -- The order graphile-worker takes them in.
     ORDER BY e.priority, e.run_at, e.id
     LIMIT max_rows;
END
$$;

COMMENT ON FUNCTION app_private.queue_entries(text, integer) IS 'Queue entries (all tasks) with state, run time, attempts, lock holder and last error; for `job-review inspect`.';

-- `test --enqueue`: puts one posting at the head of the review queue. The
-- top priority is the lowest smallint (graphile-worker runs lower numbers
-- first). A pending posting has its queue entry moved by the update trigger
-- (priority and run time); a reviewed or failed one goes back to
-- pending_review with its attempts reset, and the trigger queues it, so the
-- worker reviews it again (its review row is replaced, an override kept).
-- A posting in review right now, a duplicate or an archived one is refused.
CREATE FUNCTION app_private.review_first(job_id uuid) RETURNS app.jobs
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  current_status text;
  result app.jobs;
BEGIN
  SELECT j.status INTO current_status FROM app.jobs j WHERE j.id = review_first.job_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'Job % not found', review_first.job_id USING ERRCODE = 'P0002';
  END IF;
  IF current_status NOT IN ('pending_review', 'reviewed', 'error') THEN
    RAISE EXCEPTION 'Job % is %: only pending, reviewed or failed postings can be queued', review_first.job_id, current_status
      USING ERRCODE = '55000';
  END IF;
  UPDATE app.jobs j
     SET priority = -32768,
         status = 'pending_review',
         next_review_at = NULL,
         review_attempts = CASE WHEN current_status = 'pending_review' THEN j.review_attempts ELSE 0 END,
         last_error = CASE WHEN current_status = 'pending_review' THEN j.last_error END
   WHERE j.id = review_first.job_id
  RETURNING j.* INTO result;
  RETURN result;
END
$$;

COMMENT ON FUNCTION app_private.review_first(uuid) IS 'Queues one posting at top priority (reviewing it again when it was reviewed or failed); for `job-review test --enqueue`.';

-- `backfill --apply`: reviewed postings whose review nobody overrode go back
-- to pending_review, and the trigger queues them: the worker reviews them
-- again, and its pre-filter (with the settings of today) runs first. Only
-- postings still in that state are touched; returns the ones that were.
CREATE FUNCTION app_private.rereview_reviewed(job_ids uuid[]) RETURNS SETOF app.jobs
LANGUAGE sql VOLATILE AS $$
  UPDATE app.jobs j
     SET status = 'pending_review', review_attempts = 0, last_error = NULL, next_review_at = NULL
    FROM app.job_reviews r
   WHERE j.id = ANY (job_ids)
     AND r.job_id = j.id
     AND j.status = 'reviewed'
     AND r.override_recommend IS NULL
     AND r.error_message IS NULL
  RETURNING j.*
$$;

COMMENT ON FUNCTION app_private.rereview_reviewed(uuid[]) IS 'Sends reviewed, not-overridden postings back for review; for `job-review backfill --apply`.';

-- `brand import`: writes the dimensions a brand file names, in one
-- statement. A dimension without a weight keeps its stored weight, or takes
-- default_weight when it has none yet. Dimensions not named are left alone.
CREATE FUNCTION app_private.import_career_brand(dimensions jsonb) RETURNS SETOF app.career_brand
LANGUAGE sql VOLATILE AS $$
  INSERT INTO app.career_brand AS b (dimension, content, weight)
  SELECT d.dimension, d.content, coalesce(d.weight, existing.weight, d.default_weight)
    FROM jsonb_to_recordset(dimensions) AS d(dimension text, content text, weight numeric, default_weight numeric)
    LEFT JOIN app.career_brand existing ON existing.dimension = d.dimension
  ON CONFLICT (dimension) DO UPDATE SET content = excluded.content, weight = excluded.weight
  RETURNING b.*
$$;

COMMENT ON FUNCTION app_private.import_career_brand(jsonb) IS 'Upserts career-brand dimensions ({dimension, content, weight?, default_weight}); for `job-review brand import`.';

REVOKE EXECUTE ON FUNCTION
  app_private.queue_entries(text, integer),
  app_private.review_first(uuid),
  app_private.rereview_reviewed(uuid[]),
  app_private.import_career_brand(jsonb)
  FROM PUBLIC;

COMMIT;
