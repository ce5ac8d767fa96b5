-- Per hour (UTC): reports still in flight at its end (submitted by then, not yet completed) and reports
-- completed in it.
-- Retrospective: it counts reports that have since completed, so it shows how the backlog built up and
-- drained; the live backlog (still queued now) is the CloudWatch dashboard's endpoint and queue widgets.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
WITH hours AS (
    SELECT DISTINCT date_trunc('hour', submitted_at) AS hour_start FROM results
    UNION
    SELECT DISTINCT date_trunc('hour', completed_at) AS hour_start FROM results
)
SELECT
    h.hour_start,
    sum(CASE WHEN r.completed_at >= h.hour_start + INTERVAL '1' HOUR THEN 1 ELSE 0 END) AS in_flight,
    sum(CASE WHEN r.completed_at < h.hour_start + INTERVAL '1' HOUR THEN 1 ELSE 0 END) AS completed
FROM hours AS h
INNER JOIN results AS r
    ON r.submitted_at < h.hour_start + INTERVAL '1' HOUR AND r.completed_at >= h.hour_start
GROUP BY h.hour_start
ORDER BY h.hour_start
