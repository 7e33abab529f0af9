-- Verify job_review:queue_functions on pg

BEGIN;

SELECT 'app.queue_pending_reviews(integer, integer)'::regprocedure;
SELECT 'app.requeue_failed_reviews(integer, uuid[])'::regprocedure;
SELECT 'app.job_review_status(uuid)'::regprocedure;
SELECT 'app.job_review_stats()'::regprocedure;
SELECT 'app_private.review_queue_figures()'::regprocedure;
SELECT 'app_private.review_queue_entry(uuid)'::regprocedure;
SELECT 1/(app.job_review_status('00000000-0000-0000-0000-000000000000') IS NULL)::int;

ROLLBACK;
