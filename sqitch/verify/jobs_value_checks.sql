-- Verify job_review:jobs_value_checks on pg

BEGIN;

SELECT 1/count(*)::int FROM pg_constraint WHERE conrelid = 'app.jobs'::regclass AND conname = 'jobs_amounts_not_nan';
SELECT 1/count(*)::int FROM pg_constraint WHERE conrelid = 'app.jobs'::regclass AND conname = 'jobs_date_posted_finite';
SELECT 'app_private.tg_jobs__check_date_posted()'::regprocedure;
SELECT 1/count(*)::int FROM pg_trigger WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_050_check_date_posted';

ROLLBACK;
