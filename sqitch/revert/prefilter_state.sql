-- Revert job_review:prefilter_state from pg

BEGIN;

DROP TABLE app_private.prefilter_state;

COMMIT;
