-- Revert job_review:cli_functions from pg

BEGIN;

DROP FUNCTION app_private.import_career_brand(jsonb);
DROP FUNCTION app_private.rereview_reviewed(uuid[]);
DROP FUNCTION app_private.review_first(uuid);
DROP FUNCTION app_private.queue_entries(text, integer);

COMMIT;
