-- Verify job_review:career_brand on pg

BEGIN;

SELECT dimension, content, weight, updated_at FROM app.career_brand WHERE false;

ROLLBACK;
