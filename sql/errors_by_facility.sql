-- Failures per day by sending facility, stage and typed error code (never a message body or identifier).
-- A message that could not be read at all has no known facility: it is counted under '(unread)'.
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
SELECT
    dt,
    coalesce(sending_facility, '(unread)') AS sending_facility,
    stage,
    error_type,
    count(*) AS errors
FROM errors
GROUP BY dt, coalesce(sending_facility, '(unread)'), stage, error_type
ORDER BY dt, errors DESC, sending_facility, stage, error_type
