-- Revert job_review:review_lifecycle from pg

BEGIN;

DROP FUNCTION app_private.recover_dead_workers(double precision);
DROP FUNCTION app_private.worker_deregister(text);
DROP FUNCTION app_private.worker_heartbeat(text, text, integer, text[], integer);
DROP FUNCTION app_private.release_reviews(text, uuid[], timestamptz, text);
DROP FUNCTION app_private.record_review_failures(text, jsonb, integer, double precision);
DROP FUNCTION app_private.record_reviews(text, jsonb);
DROP FUNCTION app_private.claim_reviews(text, uuid[], bigint[]);
DROP TABLE app_private.workers;
ALTER TABLE app.jobs DROP COLUMN claim_queue_id;

COMMIT;
