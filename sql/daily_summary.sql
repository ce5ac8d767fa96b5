-- Drafted impressions per day: how many, how many had the radiologist's own impression to compare with,
-- mean ROUGE F-measures against it (rouge-score semantics, fractions 0..1) and the drafting latency.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    dt,
    count(*) AS results,
    count(reference_impression) AS with_reference,
    round(avg(rouge1), 4) AS rouge1,
    round(avg(rouge2), 4) AS rouge2,
    round(avg(rougeL), 4) AS rougel,
    round(avg(rougeLsum), 4) AS rougelsum,
    round(avg(latency_ms)) AS mean_latency_ms,
    max(latency_ms) AS max_latency_ms
FROM results
GROUP BY dt
ORDER BY dt
