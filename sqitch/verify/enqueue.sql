-- Verify job_review:enqueue on pg

BEGIN;

SELECT 1/(prosecdef)::int FROM pg_proc WHERE oid = 'app_private.enqueue_reviews(uuid[])'::regprocedure;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_500_enqueue_inserted';
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_500_enqueue_updated';

ROLLBACK;
