"""The sample feed generator: deterministic, correctly escaped, synthetic identities only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.datasets.samplefeed.__main__ import main
from radimpress.datasets.samplefeed.feed import FeedItem, iter_feed, iter_sample
from radimpress.datasets.samplefeed.render import render, render_batch
from radimpress.datasets.samplefeed.reports import IUReport, iu_reports_path, load_reports
from radimpress.datasets.samplefeed.segments import Delimiters, escape
from radimpress.datasets.samplefeed.shape import Shape
from radimpress.datasets.samplefeed.text import wrap
from radimpress.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]
SPECIALS = "pipe | caret ^ amp & tilde ~ backslash \\ and a literal \\T\\ escape"


@pytest.fixture(scope="module")
def reports() -> list[IUReport]:
    return load_reports()


def _report(**sections: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "id": "CXRTEST",
        "indication": "Cough.",
        "comparison": "None.",
        "findings": "The lungs are clear.",
        "impression": "No acute disease.",
    }
    return base | sections


def _segments(payload: bytes, encoding: str = "utf-8") -> list[str]:
    text = payload.decode(encoding).strip("\x0b\x1c\r\n")
    return [s for s in re.split(r"\r\n|\r|\n", text) if s]


def _unescape(value: str) -> str:
    """A test-local decoder for the five delimiter escapes (the reader's own is tested elsewhere)."""
    names = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}
    return re.sub(r"\\([FSTRE])\\", lambda m: names[m.group(1)], value)


def test_bundled_reports_are_the_unmodified_iu_file() -> None:
    # Given the checked-in copy, When it is found and loaded, Then it is the documented file.
    path = iu_reports_path()
    assert path == REPO / "events" / "iu" / "reports.jsonl"
    loaded = load_reports(path)
    assert len(loaded) == 3011
    assert sum(1 for r in loaded if r["findings"] and r["impression"]) == 2491


def test_iu_reports_path_searches_upwards_from_start_and_fails_typed(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="pass the path explicitly"):
        iu_reports_path(tmp_path)
    target = tmp_path / "events" / "iu" / "reports.jsonl"
    target.parent.mkdir(parents=True)
    target.write_text("")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert iu_reports_path(nested) == target


@pytest.mark.parametrize("shape", list(Shape))
def test_render_is_pure(shape: Shape, reports: list[IUReport]) -> None:
    assert render(reports[10], shape, index=42) == render(reports[10], shape, index=42)
    assert render(reports[10], shape, index=42) != render(reports[10], shape, index=43)


def test_same_seed_same_feed_other_seed_other_feed(reports: list[IUReport]) -> None:
    first = [(i.name, i.payload) for i in iter_feed(reports, count=400, seed=7)]
    again = [(i.name, i.payload) for i in iter_feed(reports, count=400, seed=7)]
    other = [(i.name, i.payload) for i in iter_feed(reports, count=400, seed=8)]
    assert first == again
    assert first != other


def test_feed_counts_report_messages_and_mixes_in_faults(reports: list[IUReport]) -> None:
    items = list(iter_feed(reports, count=1500, seed=0))
    kinds = {kind: [i for i in items if i.kind == kind] for kind in ("report", "malformed", "duplicate")}
    assert sum(len(i.expected) for i in kinds["report"]) == 1500
    assert kinds["malformed"], "a feed this long has malformed payloads"
    assert all(i.fault and not i.expected and i.shape is None for i in kinds["malformed"])
    assert kinds["duplicate"], "a feed this long has redeliveries"
    payloads = {i.payload for i in kinds["report"]}
    assert all(i.payload in payloads for i in kinds["duplicate"])
    assert {i.shape for i in kinds["report"]} == set(Shape)
    assert len({i.name for i in items}) == len(items)


def test_feed_without_faults_has_only_reports(reports: list[IUReport]) -> None:
    items = list(iter_feed(reports, count=300, seed=3, include_faults=False))
    assert {i.kind for i in items} == {"report"}


def test_control_ids_unique_and_corrections_reuse_the_accession(reports: list[IUReport]) -> None:
    items = [i for i in iter_feed(reports, count=2000, seed=0) if i.kind == "report"]
    expected = [e for i in items for e in i.expected if e["control_id"]]
    control_ids = [e["control_id"] for e in expected]
    assert len(control_ids) == len(set(control_ids))
    prelim = {e["accession"]: e for e in expected if e["status"] == "P"}
    corrected = {e["accession"]: e for e in expected if e["status"] == "C"}
    assert prelim, "the feed has preliminary results"
    assert prelim.keys() == corrected.keys(), "every preliminary result is corrected later"
    assert all(prelim[a]["iu_id"] == corrected[a]["iu_id"] for a in prelim)
    finals = [e["accession"] for e in expected if e["status"] == "F"]
    assert len(finals) == len(set(finals))
    assert not set(finals) & prelim.keys()


def test_hl7_fields_escape_every_delimiter() -> None:
    # Given report text holding every delimiter and a literal escape sequence
    report = _report(findings=SPECIALS, impression="A & B ~ C")
    # When rendered line-per-OBX, Then the segment structure is intact and the values decode back
    segments = _segments(render(report, Shape.LOINC_TX, index=1))
    obx = [s.split("|") for s in segments if s.startswith("OBX")]
    assert all(len(fields) == 12 for fields in obx), "no raw | inside a value"
    findings = " ".join(_unescape(f[5]) for f in obx if f[3].startswith("18782-3"))
    assert findings == SPECIALS
    assert "\\E\\T\\E\\" in "".join(f[5] for f in obx)
    assert all("^" not in f[5] and "&" not in f[5] and "~" not in f[5] for f in obx)


def test_ft_blob_and_repetitions_keep_lines_apart() -> None:
    report = _report(findings=SPECIALS)
    ft = [s for s in _segments(render(report, Shape.FT_BLOB, index=2)) if s.startswith("OBX")]
    assert len(ft) == 1 and "\\.br\\" in ft[0] and ft[0].split("|")[2] == "FT"
    rep = [s for s in _segments(render(report, Shape.REPETITIONS, index=2)) if s.startswith("OBX")]
    assert len(rep) == 1
    lines = [_unescape(v) for v in rep[0].split("|")[5].split("~")]
    assert "FINDINGS:" in lines and SPECIALS in " ".join(lines)


def test_escape_honours_the_message_delimiters() -> None:
    odd = Delimiters(field="#", component="$", repetition="*", escape="/", subcomponent="%")
    assert escape("a#b$c*d/e%f", odd) == "a/F/b/S/c/R/d/E/e/T/f"
    assert escape("plain text", odd) == "plain text"


@given(st.text())
def test_the_readers_unescape_inverts_the_generators_escape(text: str) -> None:
    # the generator escapes independently of the reader, so the round trip is not the reader against itself
    from radimpress.reading.hl7.escapes import unescape

    assert unescape(escape(text)) == text


def test_long_text_wraps_at_word_boundaries_only() -> None:
    text = "word " * 60 + "supercalifragilisticexpialidocious-and-more-than-eighty-characters-long" * 2
    lines = wrap(text, 64)
    assert " ".join(lines) == " ".join(text.split())
    assert all(len(line) <= 64 or " " not in line for line in lines)


@pytest.mark.parametrize("shape", [s for s in Shape if s is not Shape.TEXT])
def test_identities_are_synthetic(shape: Shape, reports: list[IUReport]) -> None:
    payload = render(reports[3], shape, index=9)
    encoding = "latin-1" if shape is Shape.LATIN1 else "utf-8"
    pids = [s.split("|") for s in _segments(payload, encoding) if s.startswith("PID")]
    assert pids
    for pid in pids:
        assert pid[3].startswith("SYN")
        assert pid[5].startswith("ZZTEST-")


def test_transport_shapes() -> None:
    report = _report()
    assert render(report, Shape.MLLP, index=1).startswith(b"\x0bMSH|")
    assert render(report, Shape.MLLP, index=1).endswith(b"\r\x1c\r")
    assert b"\r" not in render(report, Shape.LF, index=1)
    lf = render(report, Shape.LF, index=1)
    assert render(report, Shape.CRLF, index=1) == lf.replace(b"\n", b"\r\n")
    latin1 = render(report, Shape.LATIN1, index=1)
    with pytest.raises(UnicodeDecodeError):
        latin1.decode("utf-8")
    msh = latin1.decode("latin-1").split("\r")[0].split("|")
    assert msh[17] == "8859/1"
    assert any(ord(ch) > 127 for ch in latin1.decode("latin-1"))
    mdm = render(report, Shape.MDM_T02, index=1).decode("utf-8")
    assert "|MDM^T02^MDM_T02|" in mdm and "\rTXA|" in mdm
    text = render(report, Shape.TEXT, index=0).decode()
    assert text.startswith("INDICATION: Cough.") and "\n\nIMPRESSION: No acute disease." in text


def test_batch_wraps_every_message(reports: list[IUReport]) -> None:
    payload = render_batch(reports[:4], index=100).decode()
    segments = payload.split("\r")
    assert segments[0].startswith("FHS|^~\\&|") and segments[1].startswith("BHS|")
    assert segments[-3:] == ["BTS|4", "FTS|1", ""]
    assert [s.split("|")[9] for s in segments if s.startswith("MSH")] == [
        "SYN000000100",
        "SYN000000101",
        "SYN000000102",
        "SYN000000103",
    ]


def test_sections_absent_from_the_source_are_absent_from_the_message() -> None:
    report = _report(findings=None, comparison=None)
    segments = _segments(render(report, Shape.LOINC_TX, index=5))
    codes = {s.split("|")[3] for s in segments if s.startswith("OBX")}
    assert codes == {"11329-0^History^LN", "19005-8^Impression^LN"}
    assert "FINDINGS" not in render(report, Shape.TEXT, index=5).decode()


def test_checked_in_sample_is_what_the_generator_writes(reports: list[IUReport]) -> None:
    # the generator is the source of truth: regenerate events/feed after changing it
    items: list[FeedItem] = list(iter_sample(reports))
    on_disk = sorted(p.name for p in (REPO / "events" / "feed").iterdir())
    assert on_disk == sorted(i.name for i in items)
    for item in items:
        assert (REPO / "events" / "feed" / item.name).read_bytes() == item.payload, item.name
    lines = (REPO / "events" / "feed.expected.jsonl").read_text(encoding="utf-8").splitlines()
    manifest = [json.loads(line) for line in lines]
    assert [m["expected"] for m in manifest] == [list(i.expected) for i in items]


def test_module_cli_writes_files_and_manifest(tmp_path: Path) -> None:
    out, manifest = tmp_path / "feed", tmp_path / "feed.jsonl"
    assert main(["--out", str(out), "--count", "30", "--manifest", str(manifest)]) == 0
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert sorted(p.name for p in out.iterdir()) == sorted(r["name"] for r in records)
    assert sum(len(r["expected"]) for r in records if r["kind"] == "report") == 30
