"""End to end: ``make demo``'s pipeline on 200 reports; nothing lost, malformed and duplicates handled."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from radimpress.datasets.samplefeed.feed import FeedItem, iter_feed
from radimpress.datasets.samplefeed.reports import load_reports
from radimpress.local.cfn_yaml import load_template
from radimpress.local.demo import DemoOptions, DemoReport, format_report, run_demo
from radimpress.pipeline.records import raw_key

pytestmark = pytest.mark.slow

COUNT, SEED = 200, 3  # seed 3: four malformed payloads (adt, no_text, binary, truncated) and two redeliveries


@pytest.fixture(scope="module")
def feed() -> list[FeedItem]:
    return list(iter_feed(load_reports(), count=COUNT, seed=SEED))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoReport, Path]]:
    workdir = tmp_path_factory.mktemp("demo")
    # Claim checks from 4 KB, so the multi-report batch payloads travel through S3 as well.
    options = DemoOptions(count=COUNT, seed=SEED, workdir=workdir, progress=False, claim_check_over=4096)
    report = run_demo(options)
    yield report, workdir / "s3" / report_bucket(workdir)


def report_bucket(workdir: Path) -> str:
    (bucket,) = [p.name for p in (workdir / "s3").iterdir()]
    return bucket


def _errors(bucket: Path) -> list[dict[str, object]]:
    lines = [
        line for path in sorted((bucket / "errors").rglob("*.json")) for line in path.read_text().splitlines()
    ]
    return [json.loads(line) for line in lines if line.strip()]


def _results(bucket: Path) -> list[dict[str, object]]:
    return [
        row
        for path in sorted((bucket / "results").rglob("*.parquet"))
        for row in pq.read_table(path).to_pylist()
    ]


def test_every_message_is_a_result_an_error_record_deduplicated_or_in_a_dlq(
    run: tuple[DemoReport, Path], feed: list[FeedItem]
) -> None:
    # Given the demo pipeline run on 200 report messages
    report, _bucket = run
    # Then it settled, and in = results + error records + deduplicated + DLQ
    assert report.settled
    assert report.units == report.results + report.errors + report.deduplicated + report.dlq_total
    assert report.balanced
    # And the feed went in as a producer sends it: text, base64 for MLLP/Latin-1/binary, claim checks
    assert report.by_encoding.get("text", 0) > 0
    assert report.by_encoding.get("base64", 0) > 0
    assert sum(n for name, n in report.by_encoding.items() if name.startswith("claim-check")) > 0
    # And every tenth payload was POSTed to the HTTPS entry point, which queued each before its ACK
    posted = report.by_encoding.get("https", 0)
    assert posted == sum(1 for index, item in enumerate(feed) if index % 10 == 9 and item.payload)
    assert report.https_answers.get("AA", 0) + report.https_answers.get("AR", 0) == posted
    # And a report payload in ten went through the MLLP listener, each ACKed AA only once queued
    over_mllp = report.by_encoding.get("mllp", 0)
    assert over_mllp == sum(
        1 for index, item in enumerate(feed) if index % 10 == 5 and item.kind == "report" and item.payload
    )
    assert over_mllp > 0 and report.mllp_answers == {"AA": over_mllp}
    # And the stack it ran on held every resource of the template, created in moto or stood in for
    template = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    assert report.created + report.stood_in == len(template["Resources"])
    # And every stage ran without a handler error
    assert all(stats["handler_errors"] == 0 for stats in report.functions.values())
    assert report.endpoint["lost"] == 0


def test_malformed_messages_appear_as_error_records(
    run: tuple[DemoReport, Path], feed: list[FeedItem]
) -> None:
    # Given the malformed payloads of the feed
    _report, bucket = run
    malformed = [item for item in feed if item.kind == "malformed"]
    assert len(malformed) == 4
    # When the error records are read back / Then each payload's raw archive key has an ingest error record
    by_raw = {str(record["raw_key"]): record for record in _errors(bucket)}
    for item in malformed:
        record = by_raw[raw_key(hashlib.sha256(item.payload).hexdigest())]
        assert record["stage"] == "ingest", item.fault
        assert record["error_type"] in {
            "unreadable",
            "unsupported_message_type",
            "no_report_text",
            "bad_encoding",
        }


def test_duplicates_are_deduplicated(run: tuple[DemoReport, Path], feed: list[FeedItem]) -> None:
    # Given the redelivered payloads of the feed
    report, bucket = run
    duplicates = [item for item in feed if item.kind == "duplicate"]
    assert duplicates
    # Then every payload identical to an earlier one (the redeliveries, and any text report repeating
    # another's words) was counted as deduplicated, and no inference id has two results
    seen: set[bytes] = set()
    repeated = 0
    for item in feed:
        digest = hashlib.sha256(item.payload).digest()
        repeated += max(1, len(item.expected)) if item.payload and digest in seen else 0
        seen.add(digest)
    assert report.deduplicated == repeated
    results = _results(bucket)
    per_id = Counter(str(row["inference_id"]) for row in results)
    assert max(per_id.values()) == 1
    # And each redelivered payload's reports were drafted once (the raw archive key is the payload's)
    per_raw = Counter(str(row["raw_key"]) for row in results)
    for item in duplicates:
        drafted = per_raw[raw_key(hashlib.sha256(item.payload).hexdigest())]
        assert 0 < drafted <= len(item.expected)


def test_the_nightly_summary_exists_in_s3(run: tuple[DemoReport, Path]) -> None:
    # Given the nightly evaluation run through the schedule's target for today
    report, bucket = run
    # Then summary.json and summary.csv were written under evaluations/dt=<today>/ and count today's results
    assert report.nightly_key == f"evaluations/dt={report.nightly_day}/summary.json"
    summary = json.loads((bucket / report.nightly_key).read_text())
    assert (bucket / f"evaluations/dt={report.nightly_day}/summary.csv").is_file()
    assert summary["results"] == report.results
    assert 0 < summary["scored"] <= summary["results"]
    assert 0.0 < summary["aggregate"]["rouge1"] < 1.0


def test_the_drafts_read_as_sentences_and_carry_their_observation_score(run: tuple[DemoReport, Path]) -> None:
    # Given every stored result of the demo (the sample feed wraps findings per OBX, with \.br\, at 60-80
    # columns and as CRLF text)
    report, bucket = run
    rows = _results(bucket)
    # Then no draft has a fluency problem, each draft with a reference has its observation F1, and the
    # nightly summary and the printed report show them
    assert [row["fluency"] for row in rows if row["fluency"]] == []
    scored = [row for row in rows if row["reference_impression"] is not None]
    assert scored and all(0.0 <= float(str(row["observation_f1"])) <= 1.0 for row in scored)
    assert report.nightly is not None
    assert report.nightly["observation_f1"]["count"] == report.nightly["scored"]
    assert report.nightly["fluency_problem_drafts"] == 0
    assert "observation F1" in format_report(report)


def test_the_athena_sql_on_duckdb_counts_what_the_files_hold(run: tuple[DemoReport, Path]) -> None:
    # Given the results and error records downloaded from the bucket
    report, bucket = run
    rows, errors = _results(bucket), _errors(bucket)
    # When sql/daily_summary.sql and sql/errors_by_type.sql ran on DuckDB / Then they count the same
    assert sum(int(row["results"]) for row in report.daily_summary) == len(rows) == report.result_rows
    assert len({row["inference_id"] for row in rows}) == report.results
    assert sum(int(row["errors"]) for row in report.errors_by_type) == len(errors) == report.errors


def test_the_demo_ends_with_the_dashboard_of_its_run(run: tuple[DemoReport, Path]) -> None:
    # Given the demo's report, Then it wrote dashboard.html in its workdir and printed the path last
    report, _ = run
    assert report.dashboard is not None
    page = Path(report.dashboard)
    assert page == Path(report.workdir) / "dashboard.html"
    assert format_report(report).splitlines()[-1] == f"dashboard         {page}"
    # and the page counts the run's results (the daily summary's drafts) and names its error types
    html = page.read_text(encoding="utf-8")
    assert f'<span class="figure">{report.results:,}</span>drafted impressions' in html
    for row in report.errors_by_type:
        assert f">{row['error_type']}<" in html
