-- Drafting latency per completion day and engine: from the submission to the endpoint (ingest done) to the
-- completion record (queue + inference + notification), the one stage whose both ends the results record.
-- Percentiles are approx_percentile (a value of the data, not interpolated; approximate on large days).
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    dt,
    engine,
    'submitted_to_completed' AS stage,
    count(*) AS reports,
    approx_percentile(latency_ms, 0.5) AS p50_ms,
    approx_percentile(latency_ms, 0.95) AS p95_ms,
    max(latency_ms) AS max_ms
FROM results
GROUP BY dt, engine
ORDER BY dt, engine
