"""training.prepare: the JumpStart text2text dataset (JSONL prompt/completion, template.json, manifest)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from radimpress.datasets.split import load_split
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.errors import ConfigurationError
from tests.training_fixtures import (
    iu_rows,
    mimic_report,
    write_indiana_csv,
    write_mimic_zip,
    write_openi,
    write_split_csv,
)
from training.prepare import TEMPLATE, main, prepare
from training.sources.base import clean_section

ROWS = [
    {"id": "a", "findings": "Heart size normal. Lungs clear.", "impression": "No acute disease."},
    {"id": "b", "findings": "Right lower lobe opacity {sic}.", "impression": "Pneumonia."},
    # an exact duplicate of a: kept once
    {"id": "a2", "findings": "Heart size normal. Lungs clear.", "impression": "No acute disease."},
    {"id": "c", "findings": "Mild cardiomegaly. No effusion.", "impression": "Cardiomegaly."},
    {"id": "d", "findings": "Left pleural effusion.", "impression": "Effusion."},
    {"id": "e", "findings": "Hyperexpanded lungs, flattened diaphragms.", "impression": "COPD."},
    {"id": "x", "findings": "No impression here."},  # not a usable pair
]


def _reports(tmp_path: Path, rows=ROWS) -> Path:
    path = tmp_path / "reports.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _clean(text: str) -> str:
    cleaned = clean_section(text)
    assert cleaned is not None
    return cleaned


def _lines(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_all_split_writes_prompt_completion_lines_deduplicated_in_file_order(tmp_path):
    # Given reports with a duplicate pair and a row without an impression
    reports = _reports(tmp_path)
    # When the whole file is prepared
    prepare(reports, tmp_path / "out", split="all")
    # Then each usable pair is one line, the duplicate dropped, prompts built with the study's prompt
    lines = _lines(tmp_path / "out/train/train.jsonl")
    assert [line["completion"] for line in lines] == [
        "No acute disease.",
        "Pneumonia.",
        "Cardiomegaly.",
        "Effusion.",
        "COPD.",
    ]
    assert lines[1] == {
        "prompt": "Generate radiology report impressions based on the following findings. "
        "Findings: Right lower lobe opacity {sic}.",
        "completion": "Pneumonia.",
    }
    assert all(set(line) == {"prompt", "completion"} for line in lines)
    # And no validation channel is written
    assert not (tmp_path / "out/validation").exists()


def test_template_json_maps_the_samples_own_fields(tmp_path):
    # Given prepared data
    prepare(_reports(tmp_path), tmp_path / "out", split="all")
    # When template.json is read
    template = json.loads((tmp_path / "out/train/template.json").read_text())
    # Then it is JumpStart's prompt/completion mapping, and formatting a sample with it gives the sample back
    assert template == dict(TEMPLATE) == {"prompt": "{prompt}", "completion": "{completion}"}
    sample = _lines(tmp_path / "out/train/train.jsonl")[1]
    assert template["prompt"].format(**sample) == sample["prompt"]  # braces in the report stay text


def test_manifest_counts_and_hashes_every_file(tmp_path):
    # Given prepared data
    reports = _reports(tmp_path)
    out = tmp_path / "out"
    prepare(reports, out, split="all")
    # When the manifest is read
    manifest = json.loads((out / "manifest.json").read_text())
    # Then it counts the pairs and the dropped duplicate, and each sha256 is the file's
    assert manifest["counts"] == {
        "read": {"reports": 6},
        "train": 5,
        "validation": None,
        "duplicates_dropped": 1,
        "dropped": {"duplicate_pair": 1},
    }
    assert manifest["split"] == "all"
    assert manifest["prompt_template"] == STUDY_PROMPT
    assert manifest["sources"] == [
        {
            "kind": "reports",
            "name": "reports.jsonl",
            "sha256": hashlib.sha256(reports.read_bytes()).hexdigest(),
        }
    ]
    assert manifest["words"]["train"]["impression_words"]["max"] == 3  # "No acute disease."
    assert set(manifest["files"]) == {"train/train.jsonl", "train/template.json"}
    for relative, entry in manifest["files"].items():
        data = (out / relative).read_bytes()
        assert entry == {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "lines": data.count(b"\n"),
        }


def test_dev_split_trains_on_train_and_validates_on_dev(tmp_path):
    # Given the bundled-style split of a reports file
    reports = _reports(tmp_path)
    parts = load_split(reports)
    # When prepared with the dev split
    prepare(reports, tmp_path / "out", split="dev")
    # Then validation holds the dev pairs, train the (deduplicated) train pairs, and they never share findings
    train = _lines(tmp_path / "out/train/train.jsonl")
    validation = _lines(tmp_path / "out/validation/validation.jsonl")
    assert [v["prompt"] for v in validation] == [build_prompt(p.findings) for p in dict.fromkeys(parts.dev)]
    assert len(train) + len(validation) == 5
    assert not {t["prompt"] for t in train} & {v["prompt"] for v in validation}
    assert json.loads((tmp_path / "out/validation/template.json").read_text()) == dict(TEMPLATE)


def test_output_is_byte_identical_across_runs(tmp_path):
    # Given one reports file
    reports = _reports(tmp_path)
    # When prepared twice into different directories
    first = prepare(reports, tmp_path / "one")
    second = prepare(reports, tmp_path / "two")
    # Then every file, manifest included, is the same bytes
    assert first == second
    assert (tmp_path / "one/manifest.json").read_bytes() == (tmp_path / "two/manifest.json").read_bytes()


def test_mediqa_json_list_is_read(tmp_path):
    # Given a MEDIQA-2021 JSON list
    path = tmp_path / "mediqa.json"
    path.write_text(
        json.dumps(
            [
                {
                    "study_id": 1,
                    "subject_id": 2,
                    "findings": "Lungs clear.",
                    "impression": "Normal.",
                    "background": "Cough.",
                }
            ]
        )
    )
    # When prepared
    prepare(path, tmp_path / "out", split="all")
    # Then its pair is the one line
    assert _lines(tmp_path / "out/train/train.jsonl") == [
        {"prompt": build_prompt("Lungs clear."), "completion": "Normal."}
    ]


def test_no_usable_pair_is_a_configuration_error(tmp_path):
    # Given reports without any impression
    reports = _reports(tmp_path, [{"id": "x", "findings": "Lungs clear."}])
    # When / Then preparing fails with a typed error, and the CLI exits 2 without writing
    with pytest.raises(ConfigurationError, match="no report"):
        prepare(reports, tmp_path / "out", split="all")
    assert main(["--reports", str(reports), "--out", str(tmp_path / "cli"), "--split", "all"]) == 2
    assert not (tmp_path / "cli").exists()


def test_cli_prints_the_manifest_with_json(tmp_path, capsys):
    # Given a reports file
    reports = _reports(tmp_path)
    # When the CLI runs with --json
    code = main(["--reports", str(reports), "--out", str(tmp_path / "out"), "--split", "all", "--json"])
    # Then it prints the manifest it wrote
    assert code == 0
    assert json.loads(capsys.readouterr().out) == json.loads((tmp_path / "out/manifest.json").read_text())


def test_prepare_mixes_mimic_indiana_and_drops_evaluation_leaks(tmp_path, capsys):
    # Given IU texts as a MIMIC zip with its split CSV, as Kaggle's CSV and Open-i XML of the same
    # studies, and an evaluation file holding one of the Indiana studies
    rows = iu_rows(30)
    studies = [(f"1{n:07d}", f"5{n:07d}", mimic_report(row)) for n, row in enumerate(rows[:20])]
    archive = write_mimic_zip(tmp_path / "mimic-cxr-reports.zip", studies)
    split_csv = write_split_csv(
        tmp_path / "split.csv",
        [
            (s, st, "test" if n == 0 else "validate" if n == 1 else "train")
            for n, (s, st, _) in enumerate(studies)
        ],
    )
    indiana = rows[20:]
    kaggle = write_indiana_csv(tmp_path / "indiana_reports.csv", indiana)
    openi = write_openi(tmp_path / "openi", indiana)
    evaluation = _reports(tmp_path, [indiana[0]])
    # When prepared through the CLI
    code = main(
        [
            "--mimic",
            str(archive),
            "--mimic-split",
            str(split_csv),
            "--indiana-csv",
            str(kaggle),
            "--indiana-xml",
            str(openi),
            "--evaluation",
            str(evaluation),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    # Then the same Indiana study read twice counts once, the leak and MIMIC's test study are dropped,
    # MIMIC's validate study validates, and the summary prints counts and word statistics
    assert code == 0
    manifest = json.loads((tmp_path / "out/manifest.json").read_text())
    counts = manifest["counts"]
    assert counts["read"] == {"indiana": 20, "mimic-cxr": 20}
    assert counts["dropped"]["duplicate_study"] == 10
    assert counts["dropped"]["evaluation_leak"] == 1
    assert counts["dropped"]["held_out_test"] == 1
    assert counts["train"] + counts["validation"] == 40 - sum(counts["dropped"].values())
    validation = _lines(tmp_path / "out/validation/validation.jsonl")
    assert build_prompt(_clean(rows[1]["findings"])) in {v["prompt"] for v in validation}
    train = _lines(tmp_path / "out/train/train.jsonl")
    assert build_prompt(_clean(indiana[0]["findings"])) not in {t["prompt"] for t in train}
    out = capsys.readouterr().out
    assert "read: indiana 20, mimic-cxr 20" in out
    assert "train findings_words" in out
    assert [s["kind"] for s in manifest["sources"]] == [
        "mimic-cxr",
        "indiana-csv",
        "indiana-xml",
        "evaluation",
    ]


def test_prepare_from_a_local_results_table(tmp_path):
    # Given a results/ tree with a preliminary and a final version of one report and a final of another
    from datetime import UTC, datetime

    from radimpress.adapters.parquet import write_results
    from radimpress.pipeline.records import ResultRecord

    moment = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def record(key, status, findings, patient) -> ResultRecord:
        return ResultRecord(
            inference_id=key,
            report_key=key,
            accession=key[:2],
            status=status,
            patient_key=patient,
            raw_key="raw/aa/aa",
            findings=findings,
            draft="Draft.",
            reference_impression="Radiologist says.",
            engine="retrieval",
            model_id="m",
            submitted_at=moment,
            completed_at=moment,
            latency_ms=3,
        )

    folder = tmp_path / "results/dt=2026-11-02"
    folder.mkdir(parents=True)
    (folder / "b1.parquet").write_bytes(
        write_results(
            [
                record("A1-p", "P", "Preliminary findings.", "pk1"),
                record("A1-f", "F", "Final findings.", "pk1"),
                record("B2-f", "F", "Other final findings.", "pk2"),
            ]
        )
    )
    # When prepared from it
    code = main(
        ["--from-results", str(tmp_path / "results"), "--split", "all", "--out", str(tmp_path / "out")]
    )
    # Then only the final versions train, with the radiologist's impression
    assert code == 0
    lines = _lines(tmp_path / "out/train/train.jsonl")
    assert sorted(line["prompt"] for line in lines) == sorted(
        [build_prompt("Final findings."), build_prompt("Other final findings.")]
    )
    assert {line["completion"] for line in lines} == {"Radiologist says."}
