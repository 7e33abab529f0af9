-- Revert job_review:jobs from pg

BEGIN;

DROP TABLE app.jobs;
DROP FUNCTION app_private.tg_jobs__before_update();
DROP FUNCTION app_private.tg_jobs__before_insert();
DROP FUNCTION app_private.canonical_key(text, text);

COMMIT;
