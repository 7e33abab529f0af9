-- Deploy job_review:review_quality to pg
-- requires: api_functions

BEGIN;

-- How each reviewer variant does: volume, recommend rate, mean score and
-- latency, errors, and how often people overrode it.
CREATE FUNCTION app.variant_stats()
RETURNS TABLE (
  variant text, reviews bigint, recommend_rate numeric, mean_score numeric, mean_latency_ms numeric,
  errors bigint, overridden bigint, override_rate numeric)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(r.variant, 'default'),
         count(*) FILTER (WHERE r.error_message IS NULL),
         round(avg(CASE WHEN r.recommend THEN 1.0 ELSE 0.0 END) FILTER (WHERE r.error_message IS NULL), 4),
         round(avg(r.overall_alignment_score), 2),
         round(avg(r.processing_time_ms) FILTER (WHERE r.error_message IS NULL), 1),
         count(*) FILTER (WHERE r.error_message IS NOT NULL),
         count(*) FILTER (WHERE r.override_recommend IS NOT NULL),
         round(avg(CASE WHEN r.override_recommend IS NOT NULL AND r.override_recommend IS DISTINCT FROM r.recommend THEN 1.0 ELSE 0.0 END)
               FILTER (WHERE r.error_message IS NULL), 4)
    FROM app.job_reviews r
   GROUP BY 1
   ORDER BY 1
$$;

COMMENT ON FUNCTION app.variant_stats() IS 'Per reviewer variant: reviews, recommend rate, mean score, mean latency, errors, overrides and the rate at which people changed its decision.';

-- Agreement between the reviewer and the people who decided after it: of the
-- reviews a person ruled on (override_recommend set), the share where the
-- person's decision equals the reviewer's. Overall (bucket NULL), per
-- variant, and per time bucket of the decision.
CREATE FUNCTION app.review_quality(bucket text DEFAULT 'day')
RETURNS TABLE (variant text, period timestamptz, decided bigint, agreed bigint, agreement_rate numeric)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF bucket NOT IN ('hour', 'day', 'week', 'month') THEN
    RAISE EXCEPTION 'bucket must be hour, day, week or month (got %)', bucket USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
    SELECT g.variant, g.period, g.decided, g.agreed, round(g.agreed::numeric / nullif(g.decided, 0), 4)
      FROM (
        SELECT CASE WHEN GROUPING(coalesce(r.variant, 'default')) = 1 THEN NULL ELSE coalesce(r.variant, 'default') END AS variant,
               CASE WHEN GROUPING(date_trunc(bucket, r.override_at)) = 1 THEN NULL ELSE date_trunc(bucket, r.override_at) END AS period,
               count(*) AS decided,
               count(*) FILTER (WHERE r.override_recommend = r.recommend) AS agreed
          FROM app.job_reviews r
         WHERE r.override_recommend IS NOT NULL AND r.recommend IS NOT NULL
         GROUP BY GROUPING SETS ((), (coalesce(r.variant, 'default')), (date_trunc(bucket, r.override_at)),
                                 (coalesce(r.variant, 'default'), date_trunc(bucket, r.override_at)))) g
     ORDER BY g.variant NULLS FIRST, g.period NULLS FIRST;
END
$$;

COMMENT ON FUNCTION app.review_quality(text) IS 'Reviewer/human agreement: overall (variant and period NULL), per variant, per period, and per variant and period.';

-- Retention: archive postings ingested more than max_age_days ago (reviewed,
-- error or duplicate; never one that is queued or in review) and prune
-- webhook delivery logs older than delivery_log_days.
CREATE FUNCTION app_private.apply_retention(max_age_days integer, delivery_log_days integer)
RETURNS TABLE (archived integer, deliveries_pruned integer)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF max_age_days IS NOT NULL AND max_age_days > 0 THEN
    UPDATE app.jobs j SET status = 'archived'
     WHERE j.status IN ('reviewed', 'error', 'duplicate')
       AND j.ingested_at < now() - make_interval(days => max_age_days);
    GET DIAGNOSTICS archived = ROW_COUNT;
  ELSE
    archived := 0;
  END IF;
  IF delivery_log_days IS NOT NULL AND delivery_log_days > 0 THEN
    DELETE FROM app.webhook_deliveries d WHERE d.created_at < now() - make_interval(days => delivery_log_days);
    GET DIAGNOSTICS deliveries_pruned = ROW_COUNT;
  ELSE
    deliveries_pruned := 0;
  END IF;
  RETURN NEXT;
END
$$;

REVOKE EXECUTE ON FUNCTION app.variant_stats(), app.review_quality(text), app_private.apply_retention(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.variant_stats(), app.review_quality(text) TO job_review_viewer;

COMMIT;
