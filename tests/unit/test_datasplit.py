"""The train/dev split (no dev findings in train, deterministic) and normal impressions."""

from __future__ import annotations

import random

import pytest

from radimpress.datasets.corpus import ReportPair, load_pairs
from radimpress.datasets.split import DEV_FRACTION, dev_share, load_split, split_pairs
from radimpress.language.normal import is_normal_impression
from radimpress.language.normalise import normalise_findings


def _pair(number: int, findings: str, impression: str = "No acute disease.") -> ReportPair:
    return ReportPair(f"R{number}", findings, impression)


def test_no_dev_findings_occur_in_train_on_the_iu_reports() -> None:
    # Given the split of the bundled IU reports
    split = load_split()

    # Then no normalised dev findings is among the train ones, and every pair is in exactly one part
    train = {normalise_findings(p.findings) for p in split.train}
    assert not any(normalise_findings(p.findings) in train for p in split.dev)
    assert len(split.train) + len(split.dev) == len(load_pairs())
    assert {p.id for p in split.train}.isdisjoint(p.id for p in split.dev)


def test_split_sizes_are_pinned() -> None:
    # sha256 is the same everywhere: these counts are the split every figure was measured on
    split = load_split()
    assert (len(split.train), len(split.dev)) == (2000, 491)
    assert sum(not is_normal_impression(p.impression) for p in split.dev) == 161


def test_the_split_is_deterministic_and_independent_of_file_order() -> None:
    # Given the pairs in file order and shuffled
    pairs = load_pairs()
    shuffled = list(pairs)
    random.Random(7).shuffle(shuffled)

    # When both are split
    first, second = split_pairs(pairs), split_pairs(shuffled)

    # Then each report lands in the same part, and each part keeps its input order
    assert {p.id for p in first.dev} == {p.id for p in second.dev}
    assert split_pairs(pairs) == first
    assert [p.id for p in first.dev] == [p.id for p in pairs if p in set(first.dev)]


def test_identical_findings_stay_together_whatever_their_case_spacing_and_marks() -> None:
    # Given many groups whose members differ only in case, spacing, punctuation and XXXX
    pairs = []
    for number in range(200):
        text = f"Finding number {number} in the right lung."
        pairs += [
            _pair(2 * number, text),
            _pair(2 * number + 1, f"  FINDING  number {number}, in the XXXX right lung"),
        ]

    # When they are split
    split = split_pairs(pairs)

    # Then both members of every group are on the same side, and roughly a fifth of the groups are dev
    dev = {p.id for p in split.dev}
    assert all((f"R{2 * n}" in dev) == (f"R{2 * n + 1}" in dev) for n in range(200))
    assert 0.1 < len(dev) / len(pairs) < 0.3


def test_dev_share_is_the_sha256_fraction() -> None:
    assert 0.0 <= dev_share("lungs are clear") < 1.0
    assert dev_share("lungs are clear") == dev_share("lungs are clear")
    assert dev_share("lungs are clear") != dev_share("lungs are clear ")


def test_dev_fraction_bounds_and_empty_findings() -> None:
    pairs = [_pair(n, f"finding {n}") for n in range(50)] + [_pair(99, "XXXX. XXXX")]
    assert not split_pairs(pairs, dev_fraction=0.0).dev
    everything = split_pairs(pairs, dev_fraction=1.0)
    assert [p.id for p in everything.train] == ["R99"]  # nothing to retrieve by: always train
    assert split_pairs(pairs, dev_fraction=DEV_FRACTION) == split_pairs(pairs)
    with pytest.raises(ValueError, match="dev_fraction"):
        split_pairs(pairs, dev_fraction=1.5)


@pytest.mark.parametrize(
    "impression",
    [
        "No acute cardiopulmonary abnormality.",
        "No acute cardiopulmonary abnormality. .",
        "1. No acute radiographic cardiopulmonary process.",
        "Normal chest x-XXXX.",
        "Normal chest",
        "Negative chest .",
        "Negative for acute abnormality.",
        "No active disease.",
        "Clear lungs. No acute cardiopulmonary abnormality. .",
        "No acute or active cardiac, pulmonary or pleural disease.",
        "Normal chest No evidence of tuberculosis",
        "No acute cardiopulmonary abnormality.. Specifically, no evidence of active tuberculous process.",
        "Unremarkable radiographs of the chest.",
        "Stable appearance of the chest. No acute process.",
        "No acute cardiopulmonary abnormalities are seen. END OF REPORT.",
    ],
)
def test_normal_statements(impression: str) -> None:
    assert is_normal_impression(impression)


@pytest.mark.parametrize(
    "impression",
    [
        "Cardiomegaly, no acute pulmonary findings",
        "Low lung volumes, otherwise clear.",
        "Hyperexpanded but clear lungs.",
        "Emphysema without acute disease.",
        "1. No acute cardiopulmonary abnormality. 2. Mild cardiomegaly, stable.",
        "No acute disease but small left pleural effusion.",
        "Right upper lobe pneumonia.",
        "Stable mild cardiomegaly. No acute cardiopulmonary findings.",
        "1. Overall stable appearance of the chest suggesting pulmonary fibrosis.",
        "",
        "XXXX.",
    ],
)
def test_statements_that_report_something_are_not_normal(impression: str) -> None:
    assert not is_normal_impression(impression)


def test_about_two_thirds_of_iu_impressions_are_normal_statements() -> None:
    pairs = load_pairs()
    share = sum(is_normal_impression(p.impression) for p in pairs) / len(pairs)
    assert 0.6 < share < 0.75  # events/iu/SOURCE.md: "roughly 73%" by a looser reading
