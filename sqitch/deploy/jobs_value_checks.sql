-- Deploy job_review:jobs_value_checks to pg
-- requires: jobs

BEGIN;

-- numeric accepts 'NaN', and in PostgreSQL NaN >= 0 is true, so the amount
-- checks of app.jobs let a NaN salary through (createJob(minAmount: "NaN")
-- stored one). A NaN is no amount: existing ones become unknown (NULL), and
-- new ones are refused.
UPDATE app.jobs SET min_amount = NULL WHERE min_amount = 'NaN';
UPDATE app.jobs SET max_amount = NULL WHERE max_amount = 'NaN';
ALTER TABLE app.jobs ADD CONSTRAINT jobs_amounts_not_nan CHECK (min_amount <> 'NaN' AND max_amount <> 'NaN');

-- date accepts 'infinity', '-infinity' and years up to 5874897; the import
-- refuses dates past next year, and every other writer now does too.
UPDATE app.jobs SET date_posted = NULL WHERE NOT isfinite(date_posted);
ALTER TABLE app.jobs ADD CONSTRAINT jobs_date_posted_finite CHECK (isfinite(date_posted));

-- "Not more than a year ahead" depends on today, so it is a trigger, not a
-- CHECK; it looks at new dates only (an update that leaves date_posted alone
-- is not checked).
CREATE FUNCTION app_private.tg_jobs__check_date_posted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.date_posted > current_date + 366 THEN
    RAISE EXCEPTION 'date_posted % is more than a year in the future', NEW.date_posted
      USING ERRCODE = '22008', HINT = 'date_posted is the day the posting was published';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER _050_check_date_posted BEFORE INSERT OR UPDATE OF date_posted ON app.jobs
  FOR EACH ROW EXECUTE FUNCTION app_private.tg_jobs__check_date_posted();

-- A trigger function needs no EXECUTE grant to fire; nobody calls it directly.
REVOKE EXECUTE ON FUNCTION app_private.tg_jobs__check_date_posted() FROM PUBLIC;

COMMIT;
