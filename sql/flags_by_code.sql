-- Safety flags by code (radimpress.drafting.safety) per completion day: which checks fire, how often.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    r.dt,
    f.code,
    count(*) AS drafts
FROM results AS r
CROSS JOIN UNNEST(split(r.flags, ',')) AS f (code)
WHERE f.code <> ''
GROUP BY r.dt, f.code
ORDER BY r.dt, drafts DESC, f.code
