-- Revert job_review:status_notify from pg

BEGIN;

DROP TRIGGER _900_notify_status ON app.jobs;
DROP FUNCTION app_private.tg_jobs__notify_status();

COMMIT;
