-- Drafted impressions per hour of completion (UTC): the volume operators watch, and how many of them came
-- with the radiologist's own impression (the ones that can be scored).
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    date_trunc('hour', completed_at) AS hour_start,
    count(*) AS reports,
    count(reference_impression) AS with_reference,
    sum(CASE WHEN flag_count > 0 THEN 1 ELSE 0 END) AS flagged
FROM results
GROUP BY date_trunc('hour', completed_at)
ORDER BY hour_start
