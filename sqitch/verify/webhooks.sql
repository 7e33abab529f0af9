-- Verify job_review:webhooks on pg

BEGIN;

SELECT id, url, events, enabled, description, created_by, created_at, updated_at FROM app.webhooks WHERE false;
SELECT webhook_id, secret FROM app_private.webhook_secrets WHERE false;
SELECT id, webhook_id, event, job_id, delivery_id, attempt, status_code, error, duration_ms, succeeded, created_at
  FROM app.webhook_deliveries WHERE false;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'app.job_reviews'::regclass AND tgname = '_600_webhook_events_inserted';
SELECT 1/(NOT has_table_privilege('job_review_operator', 'app_private.webhook_secrets', 'SELECT'))::int;
SELECT 'app.create_webhook(text, text[], text, text)'::regprocedure;

ROLLBACK;
