-- Verify job_review:status_notify on pg

BEGIN;

SELECT 'app_private.tg_jobs__notify_status()'::regprocedure;
SELECT 1/count(*) FROM pg_trigger
 WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_900_notify_status' AND tgenabled <> 'D';

ROLLBACK;
