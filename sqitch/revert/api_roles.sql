-- Revert job_review:api_roles from pg

BEGIN;

-- Undo this database's policies and grants. The roles themselves are
-- cluster-wide and other databases on the same server may still use them:
-- they are dropped only when nothing in any database depends on them any
-- more (DROP ROLE checks every database's shared dependencies and refuses
-- with dependent_objects_still_exist otherwise; then they are kept, with a
-- notice). Role memberships are not dependencies; they go with the role.

DROP POLICY api_select ON app.career_brand;
DROP POLICY api_select ON app.job_reviews;
DROP POLICY api_requeue ON app.jobs;
DROP POLICY api_select ON app.jobs;
ALTER TABLE app.career_brand DISABLE ROW LEVEL SECURITY;
ALTER TABLE app.job_reviews DISABLE ROW LEVEL SECURITY;
ALTER TABLE app.jobs DISABLE ROW LEVEL SECURITY;

REVOKE ALL ON app.jobs, app.job_reviews, app.career_brand FROM job_review_viewer, job_review_operator;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app FROM job_review_viewer, job_review_operator;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA app_private FROM job_review_viewer, job_review_operator;
REVOKE ALL ON SCHEMA app, app_private FROM job_review_viewer, job_review_operator;

-- Back to PostgreSQL's default (functions executable by PUBLIC), as before
-- this change. enqueue_reviews was closed by its own change and stays so.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA app_private TO PUBLIC;
REVOKE EXECUTE ON FUNCTION app_private.enqueue_reviews(uuid[]) FROM PUBLIC;

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['job_review_operator', 'job_review_viewer'] LOOP
    BEGIN
      EXECUTE format('DROP ROLE IF EXISTS %I', r);
    EXCEPTION WHEN dependent_objects_still_exist THEN
      RAISE NOTICE 'role % kept: another database still uses it', r;
    END;
  END LOOP;
END
$$;

COMMIT;
