-- Revert job_review:jobs_value_checks from pg

BEGIN;

DROP TRIGGER _050_check_date_posted ON app.jobs;
DROP FUNCTION app_private.tg_jobs__check_date_posted();
ALTER TABLE app.jobs DROP CONSTRAINT jobs_date_posted_finite;
ALTER TABLE app.jobs DROP CONSTRAINT jobs_amounts_not_nan;

COMMIT;
