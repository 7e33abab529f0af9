-- Deploy job_review:schemas to pg

BEGIN;

-- app: what the API may expose. app_private: trigger functions, worker
-- registry and other internals that no API role can see.
CREATE SCHEMA app;
CREATE SCHEMA app_private;

COMMENT ON SCHEMA app IS 'Job Review Worker: postings, reviews and the career brand';
COMMENT ON SCHEMA app_private IS 'Job Review Worker internals; never exposed through the API';

CREATE FUNCTION app_private.tg__set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

COMMIT;
