-- Revert job_review:enqueue from pg

BEGIN;

DROP TRIGGER _500_enqueue_updated ON app.jobs;
DROP TRIGGER _500_enqueue_inserted ON app.jobs;
DROP FUNCTION app_private.tg_jobs__enqueue_updated();
DROP FUNCTION app_private.tg_jobs__enqueue_inserted();
DROP FUNCTION app_private.enqueue_reviews(uuid[]);

COMMIT;
