"""training.splitting: duplicates, leaks, the patient-grouped 95/5 hash split, word statistics."""

from __future__ import annotations

from radimpress.datasets.corpus import ReportPair
from training.sources.base import SourcedPair
from training.splitting import LeakCheck, group_share, length_stats, split_sourced


def _item(study: str, findings: str, impression: str = "Normal.", subject: str | None = None, source="mimic"):
    return SourcedPair(ReportPair(study, findings, impression), source, subject)


def test_split_is_about_five_percent_and_keeps_each_patient_on_one_side():
    # Given 2000 patients with two studies each
    items = [_item(f"s{p}-{k}", f"Finding {p} {k}.", subject=f"p{p}") for p in range(2000) for k in range(2)]
    # When split
    prepared = split_sourced(items)
    # Then about 5 % of patients validate, and no patient is on both sides
    train_subjects = {p.id.split("-")[0] for p in prepared.train}
    validation_subjects = {p.id.split("-")[0] for p in prepared.validation}
    assert not train_subjects & validation_subjects
    assert 0.035 < len(validation_subjects) / 2000 < 0.065
    assert len(prepared.train) + len(prepared.validation) == 4000


def test_split_does_not_depend_on_order_and_a_new_report_moves_no_other():
    # Given studies without subjects, split in one order
    items = [_item(f"s{n}", f"Finding {n}.") for n in range(400)]
    first = split_sourced(items)
    # When split reversed and with one more study
    second = split_sourced([*reversed(items), _item("s-new", "New finding.")])
    # Then every old study is on the same side
    assert {p.id for p in first.validation} == {p.id for p in second.validation} - {"s-new"}
    assert group_share("mimic", "s1") == group_share("mimic", "s1")
    assert group_share("mimic", "s1") != group_share("indiana", "s1")


def test_duplicates_leaks_and_held_out_studies_are_dropped_and_counted():
    # Given a study read twice, an exact pair under two ids, a leak by id and by findings, an official split
    items = [
        _item("s1", "Lungs clear."),
        _item("s1", "Lungs clear."),  # same study again (Open-i and Kaggle forms)
        _item("s2", "Lungs clear."),  # same pair, other id
        _item("s3", "Heart is  ENLARGED!"),  # its normalised findings are in the evaluation
        _item("s4", "Effusion."),  # its id is in the evaluation
        _item("s5", "Opacity."),
        _item("s6", "Nodule."),
        _item("s7", "Atelectasis."),
    ]
    evaluation = LeakCheck.of([ReportPair("s4", "other", "x"), ReportPair("e1", "heart is enlarged", "y")])
    # When split with s5 officially validating and s6 held out for test
    prepared = split_sourced(items, evaluation=evaluation, assigned={"s5": "validate", "s6": "test"})
    # Then each drop has its reason; the official assignment wins over the hash
    assert prepared.dropped == {
        "duplicate_study": 1,
        "duplicate_pair": 1,
        "evaluation_leak": 2,
        "held_out_test": 1,
    }
    assert "s5" in {p.id for p in prepared.validation}
    assert {p.id for p in prepared.train} | {p.id for p in prepared.validation} == {"s1", "s5", "s7"}
    assert prepared.read == {"mimic": 8}


def test_length_statistics_count_words():
    # Given pairs of known lengths
    pairs = [ReportPair(str(n), " ".join(["w"] * n), "a b") for n in range(1, 21)]
    # When summarised
    stats = length_stats(pairs)
    # Then the numbers are the word counts'
    assert stats["findings_words"].count == 20
    assert stats["findings_words"].mean == 10.5
    assert stats["findings_words"].median == 10.5
    assert stats["findings_words"].p95 == 20
    assert stats["impression_words"].max == 2
