-- Draft quality against the radiologist's impression, one block of rows per way staff slice it: by day, by
-- exam type (procedure), by engine and by radiologist (interpreter). Only scored rows (with a reference).
-- Mean ROUGE F-measures (rouge-score semantics, 0..1) and CheXpert observation F1 (null without a reference).
-- Athena: run in the stack's workgroup with the Glue database selected. make demo: DuckDB, same text.
WITH scored AS (
    SELECT
        dt,
        coalesce(procedure_text, procedure_code, '(none)') AS exam,
        engine,
        coalesce(interpreter, '(none)') AS radiologist,
        rouge1,
        rouge2,
        rougeL,
        rougeLsum,
        observation_f1
    FROM results
    WHERE rougeL IS NOT NULL
),
sliced AS (
    SELECT 'day' AS dimension, dt AS slice, rouge1, rouge2, rougeL, rougeLsum, observation_f1 FROM scored
    UNION ALL
    SELECT 'exam' AS dimension, exam AS slice, rouge1, rouge2, rougeL, rougeLsum, observation_f1 FROM scored
    UNION ALL
    SELECT 'engine' AS dimension, engine AS slice, rouge1, rouge2, rougeL, rougeLsum, observation_f1 FROM scored
    UNION ALL
    SELECT
        'radiologist' AS dimension, radiologist AS slice, rouge1, rouge2, rougeL, rougeLsum, observation_f1
    FROM scored
)
SELECT
    dimension,
    slice,
    count(*) AS scored,
    round(avg(rouge1), 4) AS rouge1,
    round(avg(rouge2), 4) AS rouge2,
    round(avg(rougeL), 4) AS rougel,
    round(avg(rougeLsum), 4) AS rougelsum,
    count(observation_f1) AS with_observation_f1,
    round(avg(observation_f1), 4) AS observation_f1
FROM sliced
GROUP BY dimension, slice
ORDER BY dimension, slice
