-- Deploy job_review:career_brand to pg
-- requires: schemas

BEGIN;

-- Replaces the seed system's ChromaDB: the context the reviewer reads lives
-- in Postgres too. An empty table means "use the default brand shipped with
-- the reviewer".
CREATE TABLE app.career_brand (
  dimension text PRIMARY KEY CHECK (dimension IN
    ('north_star', 'trajectory_mastery', 'values_compass', 'lifestyle_alignment', 'compensation_philosophy')),
  content text NOT NULL DEFAULT '',
  weight numeric(4, 3) NOT NULL CHECK (weight >= 0 AND weight <= 1),
  updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE app.career_brand IS 'The job seeker''s career brand: five dimensions, each with its text and scoring weight.';

CREATE TRIGGER _100_set_updated_at BEFORE UPDATE ON app.career_brand
  FOR EACH ROW EXECUTE FUNCTION app_private.tg__set_updated_at();

COMMIT;
