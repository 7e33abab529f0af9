-- Revert job_review:review_quality from pg

BEGIN;

DROP FUNCTION app_private.apply_retention(integer, integer);
DROP FUNCTION app.review_quality(text);
DROP FUNCTION app.variant_stats();

COMMIT;
