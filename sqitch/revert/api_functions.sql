-- Revert job_review:api_functions from pg

BEGIN;

DROP FUNCTION app_private.posting_for_test(uuid);
DROP FUNCTION app.review_inbox();
DROP FUNCTION app.archive_job(uuid);
DROP FUNCTION app.create_job(text, text, text, text, text, text, text, text, boolean, text, text, numeric, numeric, text, text, date, integer);
DROP FUNCTION app.override_review(uuid, boolean, text);
DROP TABLE app.job_review_overrides;

COMMIT;
