"""No patient identifier from the input feed appears in any log output of a run, nor in the result tables.

The demo runs as its own process (``python -m radimpress.local.demo``) at ``LogLevel=DEBUG``, so everything is
captured whatever wrote it: the process's stdout and stderr, the functions' log file (Powertools JSON logs,
EMF metrics, the Lambda runtime's error reports, Python warnings) and moto's log. The identifiers are the
ones the sample feed put in the messages' PID segments: MRN (PID-3), family and given name (PID-5), birth
date (PID-7). The Parquet results and the JSON error records are checked for them too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from radimpress.datasets.samplefeed.feed import FeedItem, iter_feed
from radimpress.datasets.samplefeed.reports import load_reports

pytestmark = pytest.mark.slow

COUNT, SEED = 60, 1  # a truncated and a binary payload among them: their errors are logged too
REPO = Path(__file__).resolve().parents[2]
_SEGMENT = re.compile(r"\r\n|\r|\n")
_ESCAPES = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\"}


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("latin-1")


def _unescape(value: str) -> str:
    return re.sub(r"\\([FSTRE])\\", lambda m: _ESCAPES[m.group(1)], value)


def identifiers(items: list[FeedItem]) -> dict[str, set[str]]:
    """MRNs, names and birth dates in the PID segments of the feed's payloads."""
    found: dict[str, set[str]] = {"mrn": set(), "name": set(), "birth_date": set()}
    for item in items:
        for segment in _SEGMENT.split(_text(item.payload).strip("\x0b\x1c")):
            if not segment.startswith("PID|"):
                continue
            fields = segment.split("|")
            found["mrn"].add(fields[3].split("^")[0])
            family, _, rest = fields[5].partition("^")
            found["name"].update(
                part for part in (*_unescape(family).split("-"), _unescape(rest.split("^")[0])) if part
            )
            found["birth_date"].add(fields[7])
    return found


def patterns(found: dict[str, set[str]]) -> dict[str, re.Pattern[str]]:
    """One pattern per identifier, as it would be written raw or inside a JSON string (\\u escapes)."""
    compiled: dict[str, re.Pattern[str]] = {}
    for kind, values in found.items():
        for value in values:
            forms = {re.escape(value), re.escape(json.dumps(value)[1:-1])}
            digits = kind != "name"
            left = r"(?<![0-9A-Za-z])" if digits else r"(?<![A-Za-z])"
            right = r"(?![0-9])" if digits else r"(?![A-Za-z])"
            compiled[f"{kind} {value}"] = re.compile(f"{left}(?:{'|'.join(sorted(forms))}){right}")
    return compiled


@pytest.fixture(scope="module")
def feed() -> list[FeedItem]:
    return list(iter_feed(load_reports(), count=COUNT, seed=SEED))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workdir = tmp_path_factory.mktemp("phi")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "radimpress.local.demo",
            "--count",
            str(COUNT),
            "--seed",
            str(SEED),
            "--workdir",
            str(workdir),
            "--log-level",
            "DEBUG",
            "--no-progress",
            "--claim-check-over",
            "4096",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    return workdir, completed.stdout + completed.stderr


def test_the_feed_carries_identifiers_and_the_search_finds_them(feed: list[FeedItem]) -> None:
    # Given the sample feed / Then its PID segments hold synthetic identifiers the patterns find (a control)
    found = identifiers(feed)
    assert len(found["mrn"]) > 30
    assert any(name.startswith("ZZTEST") for name in found["name"])
    compiled = patterns(found)
    message = _text(next(item.payload for item in feed if b"PID|" in item.payload))
    assert any(pattern.search(message) for pattern in compiled.values())


def test_no_identifier_appears_in_any_log_output(run: tuple[Path, str], feed: list[FeedItem]) -> None:
    # Given every byte of log output of a DEBUG run: the process's stdout/stderr and every log file
    workdir, output = run
    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in (workdir / "logs").glob("*.log")
    }
    functions_log = logs["functions.log"]
    # Then the capture is not empty: the functions did log (so a leak would have been seen)
    assert functions_log.count('"report submitted"') > 30
    assert '"level":"DEBUG"' in functions_log or '"level":"INFO"' in functions_log
    # And no MRN, name or birth date from the feed appears in any of it
    texts = {"demo stdout+stderr": output, **logs}
    leaks = [
        f"{where}: {label}"
        for label, pattern in patterns(identifiers(feed)).items()
        for where, text in texts.items()
        if pattern.search(text)
    ]
    assert leaks == []


def test_no_identifier_appears_in_results_or_error_records(
    run: tuple[Path, str], feed: list[FeedItem]
) -> None:
    # Given the result Parquet files and the error records the run wrote to the bucket
    workdir, _output = run
    bucket = next((workdir / "s3").iterdir())
    rows = [row for path in bucket.glob("results/**/*.parquet") for row in pq.read_table(path).to_pylist()]
    errors = [path.read_text(encoding="utf-8") for path in bucket.glob("errors/**/*.json")]
    assert rows
    assert errors
    # Then neither holds an identifier, and results carry only the pseudonymous patient key
    text = json.dumps(rows, default=str) + "\n".join(errors)
    leaks = [label for label, pattern in patterns(identifiers(feed)).items() if pattern.search(text)]
    assert leaks == []
    assert all(
        row["patient_key"] is None or re.fullmatch(r"[0-9a-f]{24}", row["patient_key"]) for row in rows
    )
