-- Deploy job_review:enqueue to pg
-- requires: jobs

BEGIN;

-- The one place a review is put on the queue. Everything that makes a
-- posting pending_review (insert, requeue, a retry, crash recovery) ends here,
-- in the transaction that made the change, so a posting can never be pending
-- with nothing queued. job_key 'review:<id>' means one queue entry per
-- posting, however often it is called. SECURITY DEFINER: add_jobs needs the
-- owner's rights; callers never get the graphile_worker schema.
-- plpgsql (not sql) so that the body is resolved at call time: sqitch can
-- deploy this before graphile-worker's own migrations have run.
CREATE FUNCTION app_private.enqueue_reviews(job_ids uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  queued integer;
BEGIN
  IF job_ids IS NULL OR cardinality(job_ids) = 0 THEN
    RETURN 0;
  END IF;
  SELECT count(*) INTO queued
    FROM graphile_worker.add_jobs(ARRAY(
      SELECT ROW(
               'review_job',                       -- task identifier
               json_build_object('job_id', j.id),  -- payload
               NULL,                               -- no queue_name: reviews run in parallel
               j.next_review_at,                   -- NULL means now
               10,                                 -- graphile's own retries only cover crashes of the task itself
               'review:' || j.id,
               j.priority,
               ARRAY['review']                     -- lets workers with reviews disabled skip them
             )::graphile_worker.job_spec
        FROM app.jobs j
       WHERE j.id = ANY (job_ids) AND j.status = 'pending_review'));
  RETURN queued;
END
$$;

REVOKE ALL ON FUNCTION app_private.enqueue_reviews(uuid[]) FROM PUBLIC;

-- Statement level with a transition table: a bulk insert costs one add_jobs call.
CREATE FUNCTION app_private.tg_jobs__enqueue_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM app_private.enqueue_reviews(ARRAY(SELECT n.id FROM new_rows n WHERE n.status = 'pending_review'));
  RETURN NULL;
END
$$;

-- A posting that becomes pending_review (requeue, retry, recovery) is queued;
-- one that stays pending but changes priority or run time has its queue
-- entry updated to match. Row level with a WHEN clause, evaluated without
-- entering plpgsql: the worker's claim and record updates (thousands a
-- second) never pay for it.
CREATE FUNCTION app_private.tg_jobs__enqueue_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM app_private.enqueue_reviews(ARRAY[NEW.id]);
  RETURN NULL;
END
$$;

CREATE TRIGGER _500_enqueue_inserted AFTER INSERT ON app.jobs
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_jobs__enqueue_inserted();

CREATE TRIGGER _500_enqueue_updated AFTER UPDATE ON app.jobs
  FOR EACH ROW
  WHEN (NEW.status = 'pending_review'
        AND (OLD.status <> 'pending_review'
             OR OLD.priority <> NEW.priority
             OR OLD.next_review_at IS DISTINCT FROM NEW.next_review_at))
  EXECUTE FUNCTION app_private.tg_jobs__enqueue_updated();

COMMIT;
