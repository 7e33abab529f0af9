-- Verify job_review:review_lifecycle on pg

BEGIN;

SELECT id, hostname, pid, pool_ids, concurrency, started_at, last_seen_at FROM app_private.workers WHERE false;
SELECT claim_queue_id FROM app.jobs WHERE false;
SELECT 'app_private.claim_reviews(text, uuid[], bigint[])'::regprocedure;
SELECT 'app_private.record_reviews(text, jsonb)'::regprocedure;
SELECT 'app_private.record_review_failures(text, jsonb, integer, double precision)'::regprocedure;
SELECT 'app_private.release_reviews(text, uuid[], timestamptz, text)'::regprocedure;
SELECT 'app_private.worker_heartbeat(text, text, integer, text[], integer)'::regprocedure;
SELECT 'app_private.recover_dead_workers(double precision)'::regprocedure;

ROLLBACK;
