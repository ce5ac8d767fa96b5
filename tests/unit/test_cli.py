"""``radimpress parse``, run in-process: JSON lines, error lines, exit codes, stdin, directories."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from radimpress.cli import main
from radimpress.datasets.samplefeed.expected import collapse_whitespace

REPO = Path(__file__).resolve().parents[2]
FEED = REPO / "events" / "feed"
MANIFEST = {
    record["name"]: record
    for record in map(
        json.loads, (REPO / "events" / "feed.expected.jsonl").read_text(encoding="utf-8").splitlines()
    )
}
REPORT_KEYS = {
    "source",
    "message_type",
    "control_id",
    "accession",
    "status",
    "procedure",
    "interpreter",
    "sections",
}
SECTION_KEYS = {"indication", "comparison", "technique", "findings", "impression", "addendum", "other"}
ADT = b"MSH|^~\\&|ADT|HOSP|||20240101120000||ADT^A01|MSG1|P|2.5\rPID|1||SYN0000001||ZZTEST-ALDER^ALEX\r"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(list(argv))
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_parse_prints_one_json_object_per_report(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a line-per-OBX ORU from the sample feed, When parsed, Then one line with the documented shape
    code, lines = _run(capsys, "parse", str(FEED / "01-loinc_tx.hl7"))
    assert code == 0
    [line] = lines
    assert set(line) == REPORT_KEYS
    assert set(line["sections"]) == SECTION_KEYS
    [expected] = MANIFEST["01-loinc_tx.hl7"]["expected"]
    assert line["source"] == str(FEED / "01-loinc_tx.hl7")
    assert line["message_type"].startswith("ORU^R01")
    assert (line["control_id"], line["accession"], line["status"]) == ("SYN000000001", "ACC0000001", "F")
    assert line["procedure"].startswith("71046") or line["procedure"].startswith("71045")
    assert collapse_whitespace(line["sections"]["findings"]) == collapse_whitespace(expected["findings"])
    assert collapse_whitespace(line["sections"]["impression"]) == collapse_whitespace(expected["impression"])


def test_batch_file_prints_every_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _run(capsys, "parse", str(FEED / "09-batch.hl7"))
    assert code == 0
    assert [line["control_id"] for line in lines] == [
        e["control_id"] for e in MANIFEST["09-batch.hl7"]["expected"]
    ]


def test_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, load_event: Callable[[str], bytes]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(load_event("feed/14-text.txt"))))
    code, [line] = _run(capsys, "parse", "-")
    assert code == 0
    assert line["source"] == "-"
    assert line["message_type"] is None
    [expected] = MANIFEST["14-text.txt"]["expected"]
    assert collapse_whitespace(line["sections"]["impression"]) == collapse_whitespace(expected["impression"])


def test_failures_print_an_error_line_and_the_rest_go_on(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given a non-radiology message, a missing file and a good report
    adt = tmp_path / "adt.hl7"
    adt.write_bytes(ADT)
    missing = tmp_path / "missing.hl7"
    good = FEED / "11-lf.hl7"
    # When parsed together
    code, lines = _run(capsys, "parse", str(adt), str(missing), str(good))
    # Then each fails with its type, the good one still prints, and the exit status is 1
    assert code == 1
    assert [line["source"] for line in lines] == [str(adt), str(missing), str(good)]
    assert lines[0]["error"]["type"] == "unsupported_message_type"
    assert lines[1]["error"] == {"type": "not_found", "message": "no such file"}
    assert "error" not in lines[2] and lines[2]["control_id"]
    assert set(lines[0]) == {"source", "error"} and set(lines[0]["error"]) == {"type", "message"}


def test_format_hl7_on_a_text_report_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, [line] = _run(capsys, "parse", "--format", "hl7", str(FEED / "14-text.txt"))
    assert code == 1
    assert line["error"]["type"] == "unreadable"


@pytest.mark.parametrize(
    "argv",
    [[], ["parse"], ["parse", "--format", "xml", "x.hl7"], ["frobnicate"], ["parse", "-", "-"]],
    ids=["no command", "no path", "bad format", "unknown command", "stdin twice"],
)
def test_bad_usage_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().out == ""


def test_directory_is_walked_in_sorted_order(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _run(capsys, "parse", str(FEED))
    assert [line for line in lines if "error" in line] == []
    assert code == 0
    files = sorted(p.name for p in FEED.iterdir())
    assert [Path(line["source"].split("#")[0]).name for line in lines] == [
        name for name in files for _ in MANIFEST[name]["expected"]
    ]


def test_output_carries_no_patient_identity(capsys: pytest.CaptureFixture[str]) -> None:
    # PID-3 (MRN) and PID-5 (name) of every sample message never reach the output
    identities: set[str] = set()
    for path in FEED.iterdir():
        text = path.read_bytes().decode("latin-1" if "latin1" in path.name else "utf-8")
        for pid in re.findall(r"(?:^|[\r\n\x0b])PID\|([^\r\n]*)", text):
            fields = pid.split("|")
            identities |= {fields[2].split("^")[0], *fields[4].split("^")[:2]}
    assert len(identities) > 10
    main(["parse", str(FEED)])
    out = capsys.readouterr().out
    assert not [value for value in identities if value and value in out]


def test_pseudonym_key_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RADIMPRESS_TEST_KEY", "not-a-real-secret")
    code, [line] = _run(
        capsys, "parse", "--pseudonym-key-env", "RADIMPRESS_TEST_KEY", str(FEED / "12-crlf.hl7")
    )
    assert code == 0
    assert re.fullmatch(r"[0-9a-f]{24}", line["patient_key"])
    monkeypatch.delenv("RADIMPRESS_TEST_KEY")
    with pytest.raises(SystemExit) as exited:
        main(["parse", "--pseudonym-key-env", "RADIMPRESS_TEST_KEY", str(FEED / "12-crlf.hl7")])
    assert exited.value.code == 2
