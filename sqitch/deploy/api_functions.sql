-- Deploy job_review:api_functions to pg
-- requires: api_roles

BEGIN;

-- What the API may change, as functions: each one is a GraphQL mutation (or
-- query) and the REST routes call the same ones. The tables themselves get
-- no INSERT/UPDATE/DELETE grants, and the PostGraphile preset hides the raw
-- CRUD mutations, so these are the only writes there are.

-- Every override ever made, newest last: who changed the decision, to what,
-- from what, and why.
CREATE TABLE app.job_review_overrides (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES app.jobs (id) ON DELETE CASCADE,
  override_recommend boolean NOT NULL,
  override_comment text,
  override_by text NOT NULL,
  -- The final decision before this override (the reviewer's, or an earlier override).
  previous_recommend boolean,
  created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app.job_review_overrides IS 'History of human overrides of review decisions.';

CREATE INDEX job_review_overrides_job_id_idx ON app.job_review_overrides (job_id, created_at);

ALTER TABLE app.job_review_overrides ENABLE ROW LEVEL SECURITY;
CREATE POLICY api_select ON app.job_review_overrides FOR SELECT TO job_review_viewer USING (true);
GRANT SELECT ON app.job_review_overrides TO job_review_viewer;

-- A person's decision wins over the reviewer's. override_by is the caller:
-- the API sets jwt.claims.sub from the verified token for the transaction.
CREATE FUNCTION app.override_review(job_id uuid, recommend boolean, comment text DEFAULT NULL)
RETURNS app.job_reviews
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
  actor text := nullif(current_setting('jwt.claims.sub', true), '');
  previous boolean;
  result app.job_reviews;
BEGIN
  IF actor IS NULL THEN
    RAISE EXCEPTION 'an override needs an authenticated caller (jwt.claims.sub is not set)' USING ERRCODE = '42501';
  END IF;
  IF override_review.recommend IS NULL THEN
    RAISE EXCEPTION 'recommend must be true or false' USING ERRCODE = '22004';
  END IF;
  SELECT r.final_recommend INTO previous FROM app.job_reviews r WHERE r.job_id = override_review.job_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'posting % has no review to override', override_review.job_id USING ERRCODE = 'P0002';
  END IF;
  UPDATE app.job_reviews r
     SET override_recommend = override_review.recommend,
         override_comment = override_review.comment,
         override_by = actor,
         override_at = now()
   WHERE r.job_id = override_review.job_id
  RETURNING r.* INTO result;
  INSERT INTO app.job_review_overrides (job_id, override_recommend, override_comment, override_by, previous_recommend)
  VALUES (override_review.job_id, override_review.recommend, override_review.comment, actor, previous);
  RETURN result;
END
$$;

COMMENT ON FUNCTION app.override_review(uuid, boolean, text) IS 'Overrides the recommendation of a reviewed posting; override_by is the caller.';

-- A new posting. It is queued by the insert trigger in this transaction,
-- unless it duplicates an original (then it is stored as duplicate).
CREATE FUNCTION app.create_job(
  site text,
  job_url text,
  title text,
  company text,
  company_url text DEFAULT NULL,
  location_country text DEFAULT NULL,
  location_state text DEFAULT NULL,
  location_city text DEFAULT NULL,
  is_remote boolean DEFAULT NULL,
  job_type text DEFAULT NULL,
  "interval" text DEFAULT NULL,
  min_amount numeric DEFAULT NULL,
  max_amount numeric DEFAULT NULL,
  currency text DEFAULT NULL,
  description text DEFAULT NULL,
  date_posted date DEFAULT NULL,
  priority integer DEFAULT 0
)
RETURNS app.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result app.jobs;
BEGIN
  IF coalesce(btrim(create_job.site), '') = '' OR coalesce(btrim(create_job.job_url), '') = ''
     OR coalesce(btrim(create_job.title), '') = '' OR coalesce(btrim(create_job.company), '') = '' THEN
    RAISE EXCEPTION 'site, job_url, title and company are required' USING ERRCODE = '22023';
  END IF;
  IF create_job.priority NOT BETWEEN -32768 AND 32767 THEN
    RAISE EXCEPTION 'priority must be from -32768 to 32767 (got %)', create_job.priority USING ERRCODE = '22023';
  END IF;
  INSERT INTO app.jobs (site, job_url, title, company, company_url, location_country, location_state,
                        location_city, is_remote, job_type, "interval", min_amount, max_amount, currency,
                        description, date_posted, priority)
  VALUES (btrim(create_job.site), btrim(create_job.job_url), btrim(create_job.title), btrim(create_job.company),
          create_job.company_url, create_job.location_country, create_job.location_state, create_job.location_city,
          create_job.is_remote, create_job.job_type, create_job."interval", create_job.min_amount,
          create_job.max_amount, create_job.currency, create_job.description, create_job.date_posted,
          create_job.priority)
  RETURNING * INTO result;
  RETURN result;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'a posting with site % and job_url % already exists', create_job.site, create_job.job_url
    USING ERRCODE = '23505';
END
$$;

COMMENT ON FUNCTION app.create_job(text, text, text, text, text, text, text, text, boolean, text, text, numeric, numeric, text, text, date, integer)
  IS 'Creates a posting; it is queued for review in the same transaction (or stored as duplicate of an original).';

-- Takes a posting out of the pipeline: status archived, its queue entry
-- removed (a review running right now is fenced out and not recorded).
CREATE FUNCTION app.archive_job(job_id uuid)
RETURNS app.jobs
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  result app.jobs;
BEGIN
  UPDATE app.jobs j
     SET status = 'archived', next_review_at = NULL,
         claimed_by = NULL, claimed_at = NULL, claim_queue_id = NULL
   WHERE j.id = archive_job.job_id
  RETURNING j.* INTO result;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no posting has id %', archive_job.job_id USING ERRCODE = 'P0002';
  END IF;
  PERFORM graphile_worker.remove_job('review:' || archive_job.job_id);
  RETURN result;
END
$$;

COMMENT ON FUNCTION app.archive_job(uuid) IS 'Archives a posting and removes its queue entry.';

-- The review inbox: reviewed originals (not duplicates, not archived) whose
-- decision no person has overridden yet, best score first.
CREATE FUNCTION app.review_inbox() RETURNS SETOF app.job_reviews
LANGUAGE sql STABLE AS $$
  SELECT r.*
    FROM app.job_reviews r
    JOIN app.jobs j ON j.id = r.job_id
   WHERE j.status = 'reviewed'
     AND r.override_recommend IS NULL
     AND r.recommend IS NOT NULL
   ORDER BY r.overall_alignment_score DESC NULLS LAST, j.ingested_at, r.job_id
$$;

COMMENT ON FUNCTION app.review_inbox() IS 'Reviewed originals not yet overridden, best score first.';

-- The permission gate of "test one posting now": the review itself runs in
-- the API process, which first loads the posting through this function as
-- the caller's role. Only operators may execute it.
CREATE FUNCTION app_private.posting_for_test(job_id uuid) RETURNS app.jobs
LANGUAGE sql STABLE AS $$
  SELECT j.* FROM app.jobs j WHERE j.id = posting_for_test.job_id
$$;

-- New functions are executable by PUBLIC by default: close them all, then
-- grant each to the role that may call it.
REVOKE EXECUTE ON FUNCTION
  app.override_review(uuid, boolean, text),
  app.create_job(text, text, text, text, text, text, text, text, boolean, text, text, numeric, numeric, text, text, date, integer),
  app.archive_job(uuid),
  app.review_inbox(),
  app_private.posting_for_test(uuid)
  FROM PUBLIC;

GRANT EXECUTE ON FUNCTION app.review_inbox() TO job_review_viewer;
GRANT EXECUTE ON FUNCTION
  app.override_review(uuid, boolean, text),
  app.create_job(text, text, text, text, text, text, text, text, boolean, text, text, numeric, numeric, text, text, date, integer),
  app.archive_job(uuid),
  app_private.posting_for_test(uuid)
  TO job_review_operator;

COMMIT;
