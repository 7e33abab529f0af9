-- Verify job_review:job_reviews on pg

BEGIN;

SELECT id, job_id, recommend, confidence, rationale, overall_alignment_score, tldr_summary,
       dimensions, pre_filter, personas, tradeoffs, actions, sources, crew_output, reviewer,
       variant, model_used, processing_time_ms, reviewed_at, retry_count, error_message,
       override_recommend, override_comment, override_by, override_at, final_recommend,
       created_at, updated_at
  FROM app.job_reviews WHERE false;

SELECT 1/count(*) FROM pg_constraint WHERE conname = 'job_reviews_outcome_check' AND conrelid = 'app.job_reviews'::regclass;

ROLLBACK;
