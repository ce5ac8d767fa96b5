-- The latest drafts beside the radiologists' impressions, with their scores and flags, for review.
-- The report is named by its keyed accession; the clear accession is in submissions/ for whoever may see it.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    completed_at,
    accession_key,
    coalesce(procedure_text, procedure_code, '(none)') AS exam,
    coalesce(interpreter, '(none)') AS radiologist,
    engine,
    draft,
    reference_impression,
    round(rougeL, 4) AS rougel,
    flags
FROM results
ORDER BY completed_at DESC, inference_id
LIMIT 50
