"""training.prepare: the JumpStart text2text dataset (JSONL prompt/completion, template.json, manifest)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from radimpress.datasets.split import load_split
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.errors import ConfigurationError
from training.prepare import TEMPLATE, main, prepare

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
    assert manifest["counts"] == {"train": 5, "validation": None, "duplicates_dropped": 1}
    assert manifest["split"] == "all"
    assert manifest["prompt_template"] == STUDY_PROMPT
    assert manifest["source"] == {
        "name": "reports.jsonl",
        "sha256": hashlib.sha256(reports.read_bytes()).hexdigest(),
    }
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


def test_cli_prints_the_manifest(tmp_path, capsys):
    # Given a reports file
    reports = _reports(tmp_path)
    # When the CLI runs
    code = main(["--reports", str(reports), "--out", str(tmp_path / "out"), "--split", "all"])
    # Then it prints the manifest it wrote
    assert code == 0
    assert json.loads(capsys.readouterr().out) == json.loads((tmp_path / "out/manifest.json").read_text())
