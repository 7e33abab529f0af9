-- Deploy job_review:jobs to pg
-- requires: schemas

BEGIN;

CREATE TABLE app.jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  site text NOT NULL CHECK (site <> ''),
  job_url text NOT NULL CHECK (job_url <> ''),
  title text NOT NULL CHECK (title <> ''),
  company text NOT NULL CHECK (company <> ''),
  company_url text,
  location_country text,
  location_state text,
  location_city text,
  is_remote boolean,
  job_type text,
  "interval" text CHECK ("interval" IN ('yearly', 'monthly', 'weekly', 'daily', 'hourly')),
  min_amount numeric(12, 2) CHECK (min_amount >= 0),
  max_amount numeric(12, 2) CHECK (max_amount >= 0),
  currency text,
  description text,
  date_posted date,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  source_raw jsonb,
  -- Kept by the before-insert/update trigger from company and title; the
  -- dedup looks postings up by it.
  canonical_key text NOT NULL DEFAULT '',
  fingerprint text,
  status text NOT NULL DEFAULT 'pending_review',
  duplicate_of uuid REFERENCES app.jobs (id) ON DELETE SET NULL,
  -- graphile-worker's convention: a lower number runs first.
  priority smallint NOT NULL DEFAULT 0,
  -- Attempts are counted when a worker claims the posting.
  review_attempts integer NOT NULL DEFAULT 0 CHECK (review_attempts >= 0),
  -- NULL: the worker's JOB_REVIEW_MAX_RETRIES. Set by queue/requeue --retries.
  max_review_attempts smallint CHECK (max_review_attempts >= 1),
  last_error text,
  next_review_at timestamptz,
  claimed_by text,
  claimed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT jobs_site_job_url_key UNIQUE (site, job_url),
  CONSTRAINT jobs_status_check CHECK (status IN ('pending_review', 'in_review', 'reviewed', 'error', 'duplicate', 'archived')),
  CONSTRAINT jobs_amount_range_check CHECK (min_amount IS NULL OR max_amount IS NULL OR min_amount <= max_amount)
);

COMMENT ON TABLE app.jobs IS 'Job postings. Status pending_review queues a review in the same transaction.';
COMMENT ON COLUMN app.jobs.priority IS 'Queue priority: a lower number is reviewed first (graphile-worker convention).';
COMMENT ON COLUMN app.jobs.canonical_key IS 'Normalised company and title; a new posting matching an original is stored as duplicate.';

CREATE INDEX jobs_status_idx ON app.jobs (status);
CREATE INDEX jobs_canonical_key_idx ON app.jobs (canonical_key) WHERE status <> 'duplicate';
CREATE INDEX jobs_company_idx ON app.jobs (company);
CREATE INDEX jobs_date_posted_idx ON app.jobs (date_posted);
CREATE INDEX jobs_duplicate_of_idx ON app.jobs (duplicate_of) WHERE duplicate_of IS NOT NULL;
CREATE INDEX jobs_claimed_by_idx ON app.jobs (claimed_by) WHERE status = 'in_review';

-- "Acme, Inc." / "ACME inc" and "Senior  Engineer" / "senior engineer" meet.
CREATE FUNCTION app_private.canonical_key(company text, title text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(
           regexp_replace(lower(coalesce(company, '')),
                          '\m(incorporated|inc|llc|ltd|limited|corp|corporation|co|gmbh|plc|ag|sa)\M', ' ', 'g'),
           '[^[:alnum:]]+', ' ', 'g'))
      || '|'
      || btrim(regexp_replace(lower(coalesce(title, '')), '[^[:alnum:]]+', ' ', 'g'))
$$;

-- Row-level, BEFORE: rows inserted earlier by the same statement are visible
-- here, so a bulk insert dedups within itself too.
CREATE FUNCTION app_private.tg_jobs__before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  original uuid;
BEGIN
  NEW.canonical_key := app_private.canonical_key(NEW.company, NEW.title);
  NEW.fingerprint := coalesce(NEW.fingerprint, md5(concat_ws('|', NEW.canonical_key,
    lower(NEW.location_country), lower(NEW.location_state), lower(NEW.location_city))));
  IF NEW.status = 'pending_review' THEN
    SELECT j.id INTO original
      FROM app.jobs j
     WHERE j.canonical_key = NEW.canonical_key AND j.status <> 'duplicate'
     LIMIT 1;
    IF original IS NOT NULL THEN
      NEW.status := 'duplicate';
      NEW.duplicate_of := original;
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION app_private.tg_jobs__before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  IF NEW.company IS DISTINCT FROM OLD.company OR NEW.title IS DISTINCT FROM OLD.title THEN
    NEW.canonical_key := app_private.canonical_key(NEW.company, NEW.title);
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER _100_before_insert BEFORE INSERT ON app.jobs
  FOR EACH ROW EXECUTE FUNCTION app_private.tg_jobs__before_insert();
CREATE TRIGGER _100_before_update BEFORE UPDATE ON app.jobs
  FOR EACH ROW EXECUTE FUNCTION app_private.tg_jobs__before_update();

COMMIT;
