"""The study's table: pandas describe() figures per ROUGE metric, pinned to hand-computed numbers."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.scoring.rouge import RougeScores
from radimpress.scoring.study_table import (
    CSV_HEADER,
    STUDY_REFERENCE,
    MetricSummary,
    format_table,
    study_table,
    summarize,
    table_from_json,
    table_to_csv,
    table_to_json,
)


def test_summarize_four_values_by_hand() -> None:
    # Given four scores, sorted 0.1 0.2 0.4 0.8
    summary = summarize([0.1, 0.4, 0.2, 0.8])

    # Then: mean 1.5 / 4; squared deviations from 0.375 sum to 0.2875, sample std sqrt(0.2875 / 3);
    # quartiles at positions (n - 1) q = 0.75, 1.5, 2.25 interpolated linearly:
    # 0.1 + 0.75 * 0.1, 0.2 + 0.5 * 0.2, 0.4 + 0.25 * 0.4
    assert summary.count == 4
    assert summary.mean == pytest.approx(0.375)
    assert summary.std == pytest.approx(math.sqrt(0.2875 / 3))
    assert summary.std == pytest.approx(0.3095696)
    assert summary.min == 0.1
    assert summary.p25 == pytest.approx(0.175)
    assert summary.p50 == pytest.approx(0.3)
    assert summary.p75 == pytest.approx(0.5)
    assert summary.max == 0.8


def test_summarize_odd_count_median_is_the_middle_value() -> None:
    # positions 0.5, 1, 1.5 of [0, 0.5, 1]
    summary = summarize([1.0, 0.0, 0.5])
    assert (summary.p25, summary.p50, summary.p75) == (0.25, 0.5, 0.75)
    assert summary.std == pytest.approx(0.5)


def test_summarize_edge_counts_follow_pandas() -> None:
    # Given no value, one value, and NaN among values
    assert summarize([]) == MetricSummary(0, None, None, None, None, None, None, None)
    assert summarize([0.4]) == MetricSummary(1, 0.4, None, 0.4, 0.4, 0.4, 0.4, 0.4)
    with_nan = summarize([0.2, math.nan, 0.4])

    # Then std is undefined below two values, and NaN is skipped (pandas' skipna)
    assert with_nan.count == 2
    assert with_nan.mean == pytest.approx(0.3)


def _linear_quantile(data: list[float], q: float) -> float:
    """numpy's default ("linear") percentile, written out."""
    ordered = sorted(data)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=2, max_size=60))
def test_summarize_matches_numpy_linear_quartiles_and_sample_std(values: list[float]) -> None:
    summary = summarize(values)
    assert summary.p25 == pytest.approx(_linear_quantile(values, 0.25), abs=1e-12)
    assert summary.p50 == pytest.approx(_linear_quantile(values, 0.50), abs=1e-12)
    assert summary.p75 == pytest.approx(_linear_quantile(values, 0.75), abs=1e-12)
    mean = math.fsum(values) / len(values)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    assert summary.std == pytest.approx(std, abs=1e-12)
    assert summary.min == min(values)
    assert summary.max == max(values)


SCORES = [
    RougeScores(0.1, 0.0, 0.1, 0.1),
    RougeScores(0.4, 0.2, 0.3, 0.3),
    RougeScores(0.2, 0.1, 0.2, 0.2),
    RougeScores(0.8, 0.5, 0.6, 0.7),
]


def test_study_table_summarizes_each_metric_and_the_aggregate() -> None:
    # Given four scored pairs, When tabled
    table = study_table(SCORES)

    # Then each metric is the summary of its column and the aggregate is its mean F
    assert table.count == 4
    assert table.rouge1 == summarize([0.1, 0.4, 0.2, 0.8])
    assert table.rouge2.mean == pytest.approx(0.2)
    assert table.rougeL.p50 == pytest.approx(0.25)
    assert table.rougeLsum.max == 0.7
    assert table.aggregate == {
        "rouge1": pytest.approx(0.375),
        "rouge2": pytest.approx(0.2),
        "rougeL": pytest.approx(0.3),
        "rougeLsum": pytest.approx(0.325),
    }
    with pytest.raises(KeyError):
        table.metric("bleu")


def test_table_json_is_serialisable_and_reads_back() -> None:
    table = study_table(SCORES)
    document = json.loads(json.dumps(table_to_json(table)))
    assert document["count"] == 4
    assert set(document["metrics"]["rouge1"]) == set(CSV_HEADER[1:])
    assert document["metrics"]["rouge1"]["25%"] == pytest.approx(0.175)
    assert table_from_json(document) == table


def test_an_empty_day_serialises_undefined_figures_as_null() -> None:
    document = table_to_json(study_table([]))
    assert document["count"] == 0
    assert document["metrics"]["rougeL"]["mean"] is None
    assert document["aggregate"]["rouge1"] is None
    assert table_from_json(json.loads(json.dumps(document))) == study_table([])


def test_table_csv_has_the_study_header_and_one_row_per_metric() -> None:
    # Given one pair, When written as CSV
    csv_text = table_to_csv(study_table([RougeScores(0.5, 0.25, 0.5, 0.75)]))

    # Then the header is pandas' labels and std (undefined for one value) is empty
    assert csv_text == (
        "metric,count,mean,std,min,25%,50%,75%,max\n"
        "rouge1,1,0.5,,0.5,0.5,0.5,0.5,0.5\n"
        "rouge2,1,0.25,,0.25,0.25,0.25,0.25,0.25\n"
        "rougeL,1,0.5,,0.5,0.5,0.5,0.5,0.5\n"
        "rougeLsum,1,0.75,,0.75,0.75,0.75,0.75,0.75\n"
    )


def test_format_table_prints_describe_layout_with_four_decimals() -> None:
    # Given the four pairs, When formatted beside the published figures
    text = format_table(study_table(SCORES), reference=STUDY_REFERENCE)
    lines = text.splitlines()

    # Then the describe() block comes first, statistics as rows, metrics as columns
    assert lines[0].split() == ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    assert lines[1].split() == ["count", "4", "4", "4", "4"]
    assert lines[2].split() == ["mean", "0.3750", "0.2000", "0.3000", "0.3250"]
    assert lines[4].split() == ["min", "0.1000", "0.0000", "0.1000", "0.1000"]
    assert lines[5].split() == ["25%", "0.1750", "0.0750", "0.1750", "0.1750"]
    assert lines[8].split() == ["max", "0.8000", "0.5000", "0.6000", "0.7000"]
    # columns are aligned: every row of the block has the same width
    assert len({len(line) for line in lines[:9]}) == 1
    # then our aggregate and the study's, row by row
    assert "this run" in text
    assert "study, fine-tuned, IU X-ray" in text
    row = next(line for line in lines if line.startswith("study, pre-trained, IU X-ray"))
    assert row.split()[-4:] == ["0.1583", "0.0599", "0.1391", "0.1393"]


def test_format_table_of_an_empty_day_prints_nan() -> None:
    text = format_table(study_table([]))
    assert "NaN" in text
    assert "study," not in text


def test_study_reference_holds_the_published_numbers() -> None:
    published = {(r.model, r.dataset): r.scores for r in STUDY_REFERENCE}
    assert published == {
        ("fine-tuned", "MIMIC-CXR"): RougeScores(0.6040, 0.4800, 0.5705, 0.5708),
        ("fine-tuned", "IU X-ray"): RougeScores(0.4660, 0.3125, 0.4525, 0.4525),
        ("pre-trained", "MIMIC-CXR"): RougeScores(0.2239, 0.1134, 0.1891, 0.1891),
        ("pre-trained", "IU X-ray"): RougeScores(0.1583, 0.0599, 0.1391, 0.1393),
    }
