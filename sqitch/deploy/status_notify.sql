-- Deploy job_review:status_notify to pg
-- requires: jobs

BEGIN;

-- Live status for the API's jobStatusChanged subscription: every status
-- change of a posting is announced, when its transaction commits, on
--   job_review:status:<job id>   (one posting; what the subscription LISTENs to)
--   job_review:status            (every posting; for dashboards)
-- with payload {"job_id", "status", "previous_status", "updated_at"}. The
-- prefix is ours alone: graphile-worker uses jobs:insert and friends.
CREATE FUNCTION app_private.tg_jobs__notify_status() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  payload text := json_build_object(
    'job_id', NEW.id, 'status', NEW.status, 'previous_status', OLD.status, 'updated_at', NEW.updated_at)::text;
BEGIN
  PERFORM pg_notify('job_review:status:' || NEW.id, payload);
  PERFORM pg_notify('job_review:status', payload);
  RETURN NULL;
END
$$;

-- A trigger function needs no EXECUTE grant to fire; nobody calls it directly.
REVOKE EXECUTE ON FUNCTION app_private.tg_jobs__notify_status() FROM PUBLIC;

CREATE TRIGGER _900_notify_status AFTER UPDATE OF status ON app.jobs
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION app_private.tg_jobs__notify_status();

COMMIT;
