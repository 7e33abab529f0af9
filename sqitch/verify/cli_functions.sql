-- Verify job_review:cli_functions on pg

BEGIN;

SELECT 'app_private.queue_entries(text, integer)'::regprocedure;
SELECT 'app_private.review_first(uuid)'::regprocedure;
SELECT 'app_private.rereview_reviewed(uuid[])'::regprocedure;
SELECT 'app_private.import_career_brand(jsonb)'::regprocedure;

-- inspect reads the worker schema as the owner, and answers.
SELECT 1/count(*)::int FROM pg_proc WHERE oid = 'app_private.queue_entries(text, integer)'::regprocedure AND prosecdef;
SELECT id, task, key, job_id, title, company, job_status, state, priority, run_at, attempts, max_attempts,
       locked_at, locked_by, last_error, created_at, total
  FROM app_private.queue_entries(NULL, 1) WHERE false;

-- None of them is for the API roles or PUBLIC.
SELECT 1/(NOT has_function_privilege('job_review_operator', 'app_private.queue_entries(text, integer)', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_operator', 'app_private.review_first(uuid)', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_operator', 'app_private.rereview_reviewed(uuid[])', 'EXECUTE'))::int;
SELECT 1/(NOT has_function_privilege('job_review_operator', 'app_private.import_career_brand(jsonb)', 'EXECUTE'))::int;

-- review_first refuses an unknown posting.
DO $$
BEGIN
  PERFORM app_private.review_first('00000000-0000-0000-0000-000000000000');
  RAISE EXCEPTION 'review_first accepted an unknown posting';
EXCEPTION WHEN no_data_found THEN NULL;
END
$$;

ROLLBACK;
