-- Messages and reports that produced no result, by pipeline stage and typed error code.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    stage,
    error_type,
    count(*) AS errors,
    count(DISTINCT raw_key) AS raw_messages
FROM errors
GROUP BY stage, error_type
ORDER BY errors DESC, stage, error_type
