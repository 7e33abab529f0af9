-- Verify job_review:prefilter_state on pg

BEGIN;

SELECT singleton, min_salary, max_age_days, applied_at FROM app_private.prefilter_state WHERE false;

ROLLBACK;
