-- Verify job_review:api_functions on pg

BEGIN;

SELECT id, job_id, override_recommend, override_comment, override_by, previous_recommend, created_at
  FROM app.job_review_overrides WHERE false;
SELECT 1/count(*) FROM pg_class WHERE oid = 'app.job_review_overrides'::regclass AND relrowsecurity;

SELECT 'app.override_review(uuid, boolean, text)'::regprocedure;
SELECT 'app.create_job(text, text, text, text, text, text, text, text, boolean, text, text, numeric, numeric, text, text, date, integer)'::regprocedure;
SELECT 'app.archive_job(uuid)'::regprocedure;
SELECT 'app.review_inbox()'::regprocedure;
SELECT 'app_private.posting_for_test(uuid)'::regprocedure;

-- Writes are for operators only.
SELECT 1/has_function_privilege('job_review_operator', 'app.override_review(uuid, boolean, text)', 'EXECUTE')::int;
SELECT 1/(NOT has_function_privilege('job_review_viewer', 'app.override_review(uuid, boolean, text)', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_viewer', 'app.archive_job(uuid)', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_viewer', 'app_private.posting_for_test(uuid)', 'EXECUTE'))::int;
SELECT 1/has_function_privilege('job_review_viewer', 'app.review_inbox()', 'EXECUTE')::int;
SELECT 1/(NOT has_table_privilege('job_review_operator', 'app.job_review_overrides', 'INSERT'))::int;

ROLLBACK;
