-- Revert job_review:webhooks from pg

BEGIN;

DROP TRIGGER _600_webhook_events_updated ON app.job_reviews;
DROP TRIGGER _600_webhook_events_inserted ON app.job_reviews;
DROP FUNCTION app_private.tg_job_reviews__webhook_events();
DROP FUNCTION app_private.webhook_review_data(app.job_reviews);
DROP FUNCTION app_private.queue_webhook_events(jsonb);
DROP FUNCTION app_private.log_webhook_delivery(uuid, text, uuid, text, integer, integer, text, integer, boolean);
DROP FUNCTION app_private.webhook_target(uuid);
DROP FUNCTION app.delete_webhook(uuid);
DROP FUNCTION app.set_webhook_enabled(uuid, boolean);
DROP FUNCTION app.create_webhook(text, text[], text, text);
DROP TABLE app.webhook_deliveries;
DROP TABLE app_private.webhook_secrets;
DROP TABLE app.webhooks;

COMMIT;
