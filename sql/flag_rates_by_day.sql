-- Safety flags per completion day: how many drafts carried at least one flag, and the rate.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    dt,
    count(*) AS reports,
    sum(CASE WHEN flag_count > 0 THEN 1 ELSE 0 END) AS flagged,
    round(CAST(sum(CASE WHEN flag_count > 0 THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 4) AS flag_rate,
    sum(flag_count) AS flags
FROM results
GROUP BY dt
ORDER BY dt
