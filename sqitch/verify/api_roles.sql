-- Verify job_review:api_roles on pg

BEGIN;

-- Both roles exist and cannot log in; an operator is a viewer.
SELECT 1/count(*) FROM pg_roles WHERE rolname = 'job_review_viewer' AND NOT rolcanlogin;
SELECT 1/count(*) FROM pg_roles WHERE rolname = 'job_review_operator' AND NOT rolcanlogin;
SELECT 1/pg_has_role('job_review_operator', 'job_review_viewer', 'MEMBER')::int;

-- Viewers read; nobody writes the tables directly except the operator's
-- requeue columns.
SELECT 1/has_table_privilege('job_review_viewer', 'app.jobs', 'SELECT')::int;
SELECT 1/has_table_privilege('job_review_viewer', 'app.job_reviews', 'SELECT')::int;
SELECT 1/(NOT has_table_privilege('job_review_viewer', 'app.jobs', 'UPDATE'))::int;
SELECT 1/(NOT has_table_privilege('job_review_operator', 'app.jobs', 'INSERT'))::int;
SELECT 1/(NOT has_table_privilege('job_review_operator', 'app.jobs', 'DELETE'))::int;
SELECT 1/(NOT has_table_privilege('job_review_operator', 'app.job_reviews', 'UPDATE'))::int;
SELECT 1/has_column_privilege('job_review_operator', 'app.jobs', 'status', 'UPDATE')::int;
SELECT 1/(NOT has_column_privilege('job_review_operator', 'app.jobs', 'title', 'UPDATE'))::int;

-- Only operators steer the queue; the queue schema is out of reach.
SELECT 1/has_function_privilege('job_review_operator', 'app.queue_pending_reviews(integer, integer)', 'EXECUTE')::int;
SELECT 1/(NOT has_function_privilege('job_review_viewer', 'app.queue_pending_reviews(integer, integer)', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_viewer', 'app.requeue_failed_reviews(integer, uuid[])', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_operator', 'app_private.claim_reviews(text, uuid[], bigint[])', 'EXECUTE'))::int;
SELECT 1/has_function_privilege('job_review_viewer', 'app.job_review_stats()', 'EXECUTE')::int;
SELECT 1/(NOT has_schema_privilege('job_review_operator', 'graphile_worker', 'USAGE'))::int;

-- Row-level security is on, with its policies.
SELECT 1/count(*) FROM pg_class WHERE oid = 'app.jobs'::regclass AND relrowsecurity;
SELECT 1/count(*) FROM pg_class WHERE oid = 'app.job_reviews'::regclass AND relrowsecurity;
SELECT 1/count(*) FROM pg_class WHERE oid = 'app.career_brand'::regclass AND relrowsecurity;
SELECT 1/(count(*) = 2)::int FROM pg_policies WHERE schemaname = 'app' AND tablename = 'jobs';

ROLLBACK;
