-- Deploy job_review:job_reviews to pg
-- requires: jobs

BEGIN;

CREATE TABLE app.job_reviews (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL UNIQUE REFERENCES app.jobs (id) ON DELETE CASCADE,
  recommend boolean,
  confidence text CHECK (confidence IN ('low', 'medium', 'high')),
  rationale text,
  overall_alignment_score numeric(4, 2) CHECK (overall_alignment_score BETWEEN 0 AND 10),
  tldr_summary text,
  dimensions jsonb,
  pre_filter jsonb,
  personas jsonb,
  tradeoffs jsonb,
  actions jsonb,
  sources jsonb,
  crew_output jsonb,
  reviewer text,
  variant text,
  model_used text,
  processing_time_ms integer CHECK (processing_time_ms >= 0),
  -- When the reviewer last finished with this posting (success or final failure).
  reviewed_at timestamptz NOT NULL DEFAULT now(),
  retry_count integer NOT NULL DEFAULT 0 CHECK (retry_count >= 0),
  error_message text,
  override_recommend boolean,
  override_comment text,
  override_by text,
  override_at timestamptz,
  -- The decision that counts: a person's override wins over the reviewer.
  final_recommend boolean GENERATED ALWAYS AS (coalesce(override_recommend, recommend)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- A failed review keeps recommend NULL and says why; it must never look
  -- like a negative recommendation.
  CONSTRAINT job_reviews_outcome_check CHECK ((recommend IS NULL) <> (error_message IS NULL)),
  CONSTRAINT job_reviews_override_check CHECK (override_recommend IS NULL OR override_at IS NOT NULL)
);

COMMENT ON TABLE app.job_reviews IS 'One review per posting: the reviewer''s recommendation, scores and any human override.';
COMMENT ON COLUMN app.job_reviews.final_recommend IS 'coalesce(override_recommend, recommend): the decision after a person''s override.';

-- The inbox: originals not yet overridden, best score first.
CREATE INDEX job_reviews_inbox_idx ON app.job_reviews (overall_alignment_score DESC, job_id)
  WHERE override_recommend IS NULL AND recommend IS NOT NULL;
CREATE INDEX job_reviews_reviewed_at_idx ON app.job_reviews (reviewed_at);
CREATE INDEX job_reviews_score_idx ON app.job_reviews (overall_alignment_score);

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.job_reviews
  FOR EACH ROW EXECUTE FUNCTION app_private.tg__set_updated_at();

COMMIT;
