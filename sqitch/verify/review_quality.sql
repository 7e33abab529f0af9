-- Verify job_review:review_quality on pg

BEGIN;

SELECT variant, reviews, recommend_rate, mean_score, mean_latency_ms, errors, overridden, override_rate FROM app.variant_stats() WHERE false;
SELECT variant, period, decided, agreed, agreement_rate FROM app.review_quality('day') WHERE false;
SELECT 'app_private.apply_retention(integer, integer)'::regprocedure;

ROLLBACK;
