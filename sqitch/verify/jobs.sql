-- Verify job_review:jobs on pg

BEGIN;

SELECT id, site, job_url, title, company, company_url, location_country, location_state,
       location_city, is_remote, job_type, "interval", min_amount, max_amount, currency,
       description, date_posted, ingested_at, source_raw, canonical_key, fingerprint, status,
       duplicate_of, priority, review_attempts, max_review_attempts, last_error,
       next_review_at, claimed_by, claimed_at, updated_at
  FROM app.jobs WHERE false;

SELECT 1/(app_private.canonical_key('Acme, Inc.', 'Senior  Engineer') = 'acme|senior engineer')::int;
SELECT 1/count(*) FROM pg_trigger WHERE tgrelid = 'app.jobs'::regclass AND tgname = '_100_before_insert';
SELECT 1/count(*) FROM pg_constraint WHERE conname = 'jobs_status_check' AND conrelid = 'app.jobs'::regclass;

ROLLBACK;
