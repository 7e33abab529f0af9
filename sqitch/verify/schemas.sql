-- Verify job_review:schemas on pg

BEGIN;

SELECT 1/count(*) FROM pg_namespace WHERE nspname = 'app';
SELECT 1/count(*) FROM pg_namespace WHERE nspname = 'app_private';

SELECT 'app_private.tg__set_updated_at()'::regprocedure;

ROLLBACK;
