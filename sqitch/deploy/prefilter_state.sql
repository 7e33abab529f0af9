-- Deploy job_review:prefilter_state to pg
-- requires: cli_functions

BEGIN;

-- One row: the pre-filter settings (JOB_REVIEW_MIN_SALARY,
-- JOB_REVIEW_MAX_AGE_DAYS) the reviews were last brought in line with. The
-- nightly backfill runs only when the workers' settings differ from these.
CREATE TABLE app_private.prefilter_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  min_salary numeric NOT NULL,
  max_age_days integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

COMMIT;
