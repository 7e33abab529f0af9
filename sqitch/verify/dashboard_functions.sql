-- Verify job_review:dashboard_functions on pg

BEGIN;

SELECT bucket_start, reviewed, failed FROM app.review_throughput(60, 1) WHERE false;
SELECT 'app.review_workers(integer)'::regprocedure;

-- Readable by viewers, not by everyone.
SELECT 1/has_function_privilege('job_review_viewer', 'app.review_throughput(integer, integer)', 'EXECUTE')::int;
SELECT 1/has_function_privilege('job_review_viewer', 'app.review_workers(integer)', 'EXECUTE')::int;
SELECT 1/(NOT has_function_privilege('public', 'app.review_workers(integer)', 'EXECUTE'))::int;

ROLLBACK;
