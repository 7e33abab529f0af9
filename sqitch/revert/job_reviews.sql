-- Revert job_review:job_reviews from pg

BEGIN;

DROP TABLE app.job_reviews;

COMMIT;
