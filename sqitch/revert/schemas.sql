-- Revert job_review:schemas from pg

BEGIN;

DROP FUNCTION app_private.tg__set_updated_at();
DROP SCHEMA app_private;
DROP SCHEMA app;

COMMIT;
