-- Deploy job_review:api_roles to pg
-- requires: review_lifecycle

BEGIN;

-- The API's PostgreSQL roles. The HTTP server connects with DATABASE_URL and,
-- for every request, switches to the role its token names (PostGraphile's
-- pgSettings: SET LOCAL role, plus jwt.claims.sub / jwt.claims.role), so
-- these GRANTs and row-level security policies are the real boundary, not
-- the JavaScript in front of them:
--   job_review_viewer    reads postings, reviews, the career brand, status and stats
--   job_review_operator  a viewer that may also queue, requeue, test, override,
--                        create and archive, only through the functions granted below
-- Neither role can log in, and neither gets anything in graphile_worker:
-- every function that touches the queue is SECURITY DEFINER.
--
-- Roles are cluster-wide: another database on the same server (a second
-- install, or the test suite's databases) may already have created them, even
-- at this very moment, so creating them tolerates both "already exists" and
-- the unique violation of a concurrent CREATE ROLE.
DO $$
BEGIN
  CREATE ROLE job_review_viewer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
  CREATE ROLE job_review_operator NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- An operator is a viewer too: every policy and grant for viewers applies.
DO $$
BEGIN
  IF NOT pg_has_role('job_review_operator', 'job_review_viewer', 'MEMBER') THEN
    GRANT job_review_viewer TO job_review_operator;
  END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

-- The connecting user must be allowed to SET ROLE to both. A superuser
-- always is; a plain owner (a managed PostgreSQL) is made a member here.
-- For a least-privilege setup, connect the API as a dedicated LOGIN NOINHERIT
-- role that is a member of both (README, "API").
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'job_review_operator', 'MEMBER') THEN
    EXECUTE format('GRANT job_review_operator TO %I', current_user);
  END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

-- Functions are executable by PUBLIC unless revoked. Nothing in app or
-- app_private is meant for everyone: the worker, the CLI and migrations run
-- as the owner, and the API roles get exactly what is granted below.
-- (Per-schema default privileges cannot take PUBLIC's EXECUTE away, so every
-- later change that adds a function must REVOKE it FROM PUBLIC itself;
-- test/api/permissions.test.ts lists what the API roles may execute and
-- fails on anything new.)
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA app_private FROM PUBLIC;

-- Reading.
GRANT USAGE ON SCHEMA app TO job_review_viewer;
GRANT SELECT ON app.jobs, app.job_reviews, app.career_brand TO job_review_viewer;
GRANT EXECUTE ON FUNCTION app.job_review_status(uuid), app.job_review_stats() TO job_review_viewer;
-- job_review_status and job_review_stats (SECURITY INVOKER) read the queue
-- through these two read-only SECURITY DEFINER helpers; nothing else in
-- app_private is executable by the API roles, and its tables have no grants.
GRANT USAGE ON SCHEMA app_private TO job_review_viewer;
GRANT EXECUTE ON FUNCTION app_private.review_queue_entry(uuid), app_private.review_queue_figures() TO job_review_viewer;

-- Steering the queue. queue_pending_reviews is SECURITY DEFINER;
-- requeue_failed_reviews runs as the caller, so the operator may update
-- exactly the columns it sets, and the policy below only lets it move a
-- failed posting back to pending_review.
GRANT EXECUTE ON FUNCTION app.queue_pending_reviews(integer, integer), app.requeue_failed_reviews(integer, uuid[]) TO job_review_operator;
GRANT UPDATE (status, review_attempts, last_error, next_review_at, claimed_by, claimed_at, max_review_attempts)
  ON app.jobs TO job_review_operator;

-- Row-level security. The owner (worker, CLI, SECURITY DEFINER functions)
-- is not subject to it (no FORCE); the API roles are.
ALTER TABLE app.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.job_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.career_brand ENABLE ROW LEVEL SECURITY;

CREATE POLICY api_select ON app.jobs FOR SELECT TO job_review_viewer USING (true);
CREATE POLICY api_requeue ON app.jobs FOR UPDATE TO job_review_operator
  USING (status = 'error') WITH CHECK (status = 'pending_review');
CREATE POLICY api_select ON app.job_reviews FOR SELECT TO job_review_viewer USING (true);
CREATE POLICY api_select ON app.career_brand FOR SELECT TO job_review_viewer USING (true);

COMMIT;
