-- Revert job_review:queue_functions from pg

BEGIN;

DROP FUNCTION app.job_review_stats();
DROP FUNCTION app.job_review_status(uuid);
DROP FUNCTION app.requeue_failed_reviews(integer, uuid[]);
DROP FUNCTION app.queue_pending_reviews(integer, integer);
DROP TYPE app.queue_pending_result;
DROP FUNCTION app_private.review_queue_entry(uuid);
DROP FUNCTION app_private.review_queue_figures();

COMMIT;
