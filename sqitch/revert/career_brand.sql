-- Revert job_review:career_brand from pg

BEGIN;

DROP TABLE app.career_brand;

COMMIT;
