"""training.sources: MIMIC-CXR's zip and split CSV, Indiana's CSV and Open-i XML, the results table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from radimpress.errors import ConfigurationError
from radimpress.pipeline.records import ResultRecord
from tests.training_fixtures import (
    iu_rows,
    mimic_report,
    write_indiana_csv,
    write_mimic_zip,
    write_openi,
    write_split_csv,
)
from training.sources.base import clean_section
from training.sources.indiana import iter_indiana_csv, iter_openi
from training.sources.mimic import extract_sections, iter_mimic, parse_report, read_split_csv, study_member
from training.sources.results import finalized_pairs


def test_mimic_sections_follow_the_heading_rules():
    # Given a MIMIC-style report with wrapped findings, an addendum impression and a trailing heading
    text = (
        "                FINAL REPORT\n EXAMINATION:  CHEST (PA AND LAT)\n INDICATION:  ___F with cough\n"
        " FINDINGS: \n Heart size is normal.  Lungs\n are clear.\n IMPRESSION:  No acute process.\n"
        " RECOMMENDATION(S):  None.\n IMPRESSION: Addendum: unchanged.\n"
    )
    # When its sections are extracted
    sections = extract_sections(text)
    pair = parse_report(text, "s1")
    # Then headings end sections, wraps collapse, repeated sections join in order, the banner is no section
    assert sections["FINDINGS"] == "Heart size is normal. Lungs are clear."
    assert sections["RECOMMENDATION(S)"] == "None."
    assert "FINAL REPORT" not in sections
    assert pair is not None
    assert pair.impression == "No acute process. Addendum: unchanged."
    assert pair.indication is None


@pytest.mark.parametrize(
    "text",
    [
        " FINDINGS: Lungs clear.\n",  # no impression
        " IMPRESSION: Normal.\n",  # no findings
        " FINDINGS AND IMPRESSION: Lungs clear, normal.\n",  # combined: no separate impression
        " FINDINGS:   \n IMPRESSION: Normal.\n",  # blank findings
    ],
)
def test_mimic_report_without_both_sections_gives_no_pair(text):
    # Given / When / Then
    assert parse_report(text, "s1") is None


def test_mimic_zip_reads_physionet_layout_with_subject_and_study(tmp_path):
    # Given IU texts laid out as mimic-cxr-reports.zip, one report without an impression
    rows = iu_rows(3)
    studies = [
        ("10000032", "50414267", mimic_report(rows[0])),
        ("10000032", "53189527", mimic_report(rows[1])),
        ("10000764", "57375967", " FINDINGS: Lungs clear.\n"),
        ("11000011", "51029426", mimic_report(rows[2])),
    ]
    archive = write_mimic_zip(tmp_path / "mimic-cxr-reports.zip", studies)
    # When read
    items = list(iter_mimic(archive))
    # Then each usable report is one pair with s<study> and p<subject>, its text as the IU report said
    assert [(i.pair.id, i.subject_id) for i in items] == [
        ("s50414267", "p10000032"),
        ("s53189527", "p10000032"),
        ("s51029426", "p11000011"),
    ]
    assert items[0].pair.findings == clean_section(rows[0]["findings"])
    assert items[2].pair.impression == clean_section(rows[2]["impression"])
    assert study_member("files/p10/p10000032/s50414267.txt") == ("10000032", "50414267")
    assert study_member("files/p10/p10000032/s50414267.dcm") is None


def test_mimic_split_csv_maps_studies_and_rejects_bad_rows(tmp_path):
    # Given a split CSV with one row per image
    path = write_split_csv(
        tmp_path / "split.csv",
        [
            ("1", "50414267", "train"),
            ("1", "50414267", "train"),
            ("2", "53189527", "validate"),
            ("3", "57375967", "test"),
        ],
    )
    # When / Then each study has its split
    assert read_split_csv(path) == {"s50414267": "train", "s53189527": "validate", "s57375967": "test"}
    bad = write_split_csv(tmp_path / "bad.csv", [("1", "50414267", "holdout")])
    with pytest.raises(ConfigurationError, match="train/validate/test"):
        read_split_csv(bad)


def test_not_a_zip_is_a_configuration_error(tmp_path):
    # Given a file that is not a zip
    path = tmp_path / "mimic.zip"
    path.write_text("not a zip")
    # When / Then
    with pytest.raises(ConfigurationError, match="archive"):
        list(iter_mimic(path))


def test_indiana_csv_and_openi_xml_give_the_same_pairs(tmp_path):
    # Given the same IU rows as Kaggle's CSV, as an Open-i folder and as its .tgz
    rows = iu_rows(4)
    csv_pairs = [i.pair for i in iter_indiana_csv(write_indiana_csv(tmp_path / "indiana_reports.csv", rows))]
    folder = write_openi(tmp_path / "openi", rows, tgz=None)
    tgz = write_openi(tmp_path / "openi2", rows, tgz=tmp_path / "NLMCXR_reports.tgz")
    xml_pairs = [i.pair for i in iter_openi(folder)]
    tgz_pairs = [i.pair for i in iter_openi(tgz)]
    # Then all three forms read to the same CXR<n> pairs, text kept (XXXX included), no subject
    assert sorted(p.id for p in csv_pairs) == sorted(r["id"] for r in rows)
    assert sorted(csv_pairs, key=lambda p: p.id) == sorted(xml_pairs, key=lambda p: p.id)
    assert xml_pairs == tgz_pairs
    by_id = {p.id: p for p in csv_pairs}
    assert by_id[rows[0]["id"]].findings == clean_section(rows[0]["findings"])
    assert by_id[rows[0]["id"]].indication == clean_section(rows[0]["indication"])


def test_indiana_csv_without_the_columns_is_rejected(tmp_path):
    # Given a CSV that is not Kaggle's
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    # When / Then
    with pytest.raises(ConfigurationError, match="columns"):
        list(iter_indiana_csv(path))


def _result(accession: str, status: str, *, minutes: int, impression: str | None = "Normal.", patient="pk1"):
    moment = datetime(2026, 11, 1, 8, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    return ResultRecord(
        inference_id=f"{accession}-{status}-{minutes}",
        report_key=f"rk-{accession}-{status}-{minutes}",
        accession_key=accession,
        status=status,
        patient_key=patient,
        raw_key="raw/aa/aa",
        findings=f"Findings of {accession} v{minutes}.",
        draft="Draft.",
        reference_impression=impression,
        engine="retrieval",
        model_id="m",
        submitted_at=moment,
        completed_at=moment,
        latency_ms=5,
    )


def test_only_final_reports_with_an_impression_feed_the_next_set_latest_version_kept():
    # Given a preliminary then final report, a final resent later, a final without impression, a prelim only
    records = [
        _result("A1", "P", minutes=0),
        _result("A1", "F", minutes=10),
        _result("A2", "F", minutes=5, patient="pk2"),
        _result("A2", "F", minutes=20, patient="pk2"),
        _result("A3", "F", minutes=7, impression="  "),
        _result("A4", "P", minutes=8),
    ]
    # When the finalized pairs are taken
    items = list(finalized_pairs(records))
    # Then one pair per finalized accession, its latest final version, keyed by pseudonyms only
    assert [i.pair.id for i in items] == ["rk-A1-F-10", "rk-A2-F-20"]
    assert [i.subject_id for i in items] == ["pk1", "pk2"]
    assert items[1].pair.findings == "Findings of A2 v20."
