-- Revert job_review:dashboard_functions from pg

BEGIN;

DROP FUNCTION app.review_workers(integer);
DROP FUNCTION app.review_throughput(integer, integer);

COMMIT;
