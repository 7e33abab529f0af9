-- Deploy job_review:webhooks to pg
-- requires: api_functions

BEGIN;

-- Operators subscribe URLs to review events. The signing secret lives in
-- app_private, which no API role can read: the API can set it, never return it.
CREATE TABLE app.webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  url text NOT NULL CHECK (url ~ '^https?://[^\s]+$'),
  events text[] NOT NULL CHECK (
    cardinality(events) > 0
    AND events <@ ARRAY['review.completed', 'review.failed', 'review.overridden']),
  enabled boolean NOT NULL DEFAULT true,
  description text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app.webhooks IS 'Webhook subscriptions to review.completed, review.failed and review.overridden. Secrets are never exposed.';

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.webhooks
  FOR EACH ROW EXECUTE FUNCTION app_private.tg__set_updated_at();

CREATE TABLE app_private.webhook_secrets (
  webhook_id uuid PRIMARY KEY REFERENCES app.webhooks (id) ON DELETE CASCADE,
  secret text NOT NULL CHECK (length(secret) >= 16)
);

-- Every delivery attempt, for operators to see what was sent and what came back.
CREATE TABLE app.webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id uuid NOT NULL REFERENCES app.webhooks (id) ON DELETE CASCADE,
  event text NOT NULL,
  job_id uuid,
  delivery_id text NOT NULL,
  attempt integer NOT NULL,
  status_code integer,
  error text,
  duration_ms integer,
  succeeded boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app.webhook_deliveries IS 'One row per webhook delivery attempt.';

CREATE INDEX webhook_deliveries_webhook_idx ON app.webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_created_at_idx ON app.webhook_deliveries (created_at);

-- Queues one deliver_webhook task per (event, enabled webhook subscribed to
-- it), in the caller's transaction: a rolled-back review sends nothing. The
-- body is built now, so a delivery says what happened when it happened.
-- events: a JSON array of {event, job_id, data}.
CREATE FUNCTION app_private.queue_webhook_events(events jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  queued integer;
BEGIN
  SELECT count(*) INTO queued
    FROM graphile_worker.add_jobs(ARRAY(
      SELECT ROW(
               'deliver_webhook',
               json_build_object(
                 'webhook_id', w.id,
                 'event', e.event,
                 'job_id', e.job_id,
                 'body', jsonb_build_object('event', e.event, 'occurred_at', now(), 'job_id', e.job_id, 'data', e.data)),
               NULL, NULL,
               12,            -- graphile-worker's exponential backoff between attempts
               NULL, NULL, NULL
             )::graphile_worker.job_spec
        FROM jsonb_to_recordset(events) AS e(event text, job_id uuid, data jsonb)
        JOIN app.webhooks w ON w.enabled AND e.event = ANY (w.events)));
  RETURN queued;
END
$$;

-- Review events, raised by the statements that cause them. Statement level
-- with transition tables: a batch of reviews costs one call, and none at all
-- past the first line while no webhook is enabled.
CREATE FUNCTION app_private.tg_job_reviews__webhook_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  events jsonb;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM app.webhooks w WHERE w.enabled) THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object(
             'event', CASE WHEN n.error_message IS NULL THEN 'review.completed' ELSE 'review.failed' END,
             'job_id', n.job_id, 'data', app_private.webhook_review_data(n)))
      INTO events
      FROM new_rows n;
  ELSE
    SELECT jsonb_agg(x.e) INTO events FROM (
      SELECT jsonb_build_object(
               'event', CASE WHEN n.error_message IS NULL THEN 'review.completed' ELSE 'review.failed' END,
               'job_id', n.job_id, 'data', app_private.webhook_review_data(n)) AS e
        FROM new_rows n JOIN old_rows o ON o.id = n.id
       WHERE n.reviewed_at IS DISTINCT FROM o.reviewed_at
      UNION ALL
      SELECT jsonb_build_object('event', 'review.overridden', 'job_id', n.job_id, 'data', app_private.webhook_review_data(n))
        FROM new_rows n JOIN old_rows o ON o.id = n.id
       WHERE n.override_at IS DISTINCT FROM o.override_at AND n.override_recommend IS NOT NULL) x;
  END IF;
  IF events IS NOT NULL THEN
    PERFORM app_private.queue_webhook_events(events);
  END IF;
  RETURN NULL;
END
$$;

-- What a review event says about the review.
CREATE FUNCTION app_private.webhook_review_data(r app.job_reviews) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'recommend', r.recommend, 'final_recommend', r.final_recommend, 'confidence', r.confidence,
    'overall_alignment_score', r.overall_alignment_score, 'tldr_summary', r.tldr_summary,
    'rationale', r.rationale, 'variant', r.variant, 'reviewer', r.reviewer,
    'error_message', r.error_message, 'retry_count', r.retry_count,
    'override_recommend', r.override_recommend, 'override_by', r.override_by,
    'override_comment', r.override_comment)
$$;

CREATE TRIGGER _600_webhook_events_inserted AFTER INSERT ON app.job_reviews
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_job_reviews__webhook_events();

CREATE TRIGGER _600_webhook_events_updated AFTER UPDATE ON app.job_reviews
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_job_reviews__webhook_events();

-- Operator functions (GraphQL mutations, CLI).
CREATE FUNCTION app.create_webhook(url text, events text[], secret text, description text DEFAULT NULL)
RETURNS app.webhooks
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  hook app.webhooks;
BEGIN
  IF secret IS NULL OR length(secret) < 16 THEN
    RAISE EXCEPTION 'a webhook secret must have at least 16 characters' USING ERRCODE = '22023';
  END IF;
  INSERT INTO app.webhooks (url, events, description, created_by)
  VALUES (url, events, description, nullif(current_setting('jwt.claims.sub', true), ''))
  RETURNING * INTO hook;
  INSERT INTO app_private.webhook_secrets (webhook_id, secret) VALUES (hook.id, secret);
  RETURN hook;
END
$$;

CREATE FUNCTION app.set_webhook_enabled(webhook_id uuid, enabled boolean) RETURNS app.webhooks
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  UPDATE app.webhooks w SET enabled = set_webhook_enabled.enabled WHERE w.id = set_webhook_enabled.webhook_id RETURNING w.*
$$;

CREATE FUNCTION app.delete_webhook(webhook_id uuid) RETURNS app.webhooks
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  DELETE FROM app.webhooks w WHERE w.id = delete_webhook.webhook_id RETURNING w.*
$$;

-- For the delivery task (the worker runs as owner).
CREATE FUNCTION app_private.webhook_target(webhook_id uuid) RETURNS TABLE (url text, secret text, enabled boolean)
LANGUAGE sql STABLE AS $$
  SELECT w.url, s.secret, w.enabled FROM app.webhooks w JOIN app_private.webhook_secrets s ON s.webhook_id = w.id WHERE w.id = webhook_target.webhook_id
$$;

CREATE FUNCTION app_private.log_webhook_delivery(
  webhook_id uuid, event text, job_id uuid, delivery_id text, attempt integer,
  status_code integer, error text, duration_ms integer, succeeded boolean)
RETURNS void
LANGUAGE sql VOLATILE AS $$
  INSERT INTO app.webhook_deliveries (webhook_id, event, job_id, delivery_id, attempt, status_code, error, duration_ms, succeeded)
  SELECT log_webhook_delivery.webhook_id, event, job_id, delivery_id, attempt, status_code, error, duration_ms, succeeded
   WHERE EXISTS (SELECT 1 FROM app.webhooks w WHERE w.id = log_webhook_delivery.webhook_id)
$$;

REVOKE EXECUTE ON FUNCTION
  app_private.queue_webhook_events(jsonb),
  app_private.tg_job_reviews__webhook_events(),
  app_private.webhook_review_data(app.job_reviews),
  app.create_webhook(text, text[], text, text),
  app.set_webhook_enabled(uuid, boolean),
  app.delete_webhook(uuid),
  app_private.webhook_target(uuid),
  app_private.log_webhook_delivery(uuid, text, uuid, text, integer, integer, text, integer, boolean)
FROM PUBLIC;

-- Operators manage webhooks and read deliveries; secrets stay private.
ALTER TABLE app.webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.webhook_deliveries ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_select ON app.webhooks FOR SELECT TO job_review_operator USING (true);
CREATE POLICY api_select ON app.webhook_deliveries FOR SELECT TO job_review_operator USING (true);
GRANT SELECT ON app.webhooks, app.webhook_deliveries TO job_review_operator;
GRANT EXECUTE ON FUNCTION
  app.create_webhook(text, text[], text, text),
  app.set_webhook_enabled(uuid, boolean),
  app.delete_webhook(uuid)
TO job_review_operator;

COMMIT;
