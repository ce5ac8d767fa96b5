"""radimpress-train: one entry point, every subcommand with its --help; boto3 only in training/aws.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from training.cli import COMMANDS, main

TRAINING = Path(__file__).resolve().parents[2] / "training"


def test_bare_call_lists_every_subcommand(capsys):
    # Given / When called without a subcommand
    assert main([]) == 0
    out = capsys.readouterr().out
    # Then each subcommand is listed
    for name in (
        "prepare",
        "upload",
        "finetune",
        "status",
        "deploy",
        "teardown",
        "compare",
        "finetune-local",
    ):
        assert f"  {name} " in out
    assert set(COMMANDS) == {
        "prepare",
        "upload",
        "finetune",
        "status",
        "deploy",
        "teardown",
        "compare",
        "finetune-local",
    }


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_subcommand_has_its_own_help(name, capsys):
    # Given / When a subcommand's --help
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    # Then it exits 0 and names itself
    assert exit_.value.code == 0
    assert f"usage: radimpress-train {name}" in capsys.readouterr().out


def test_unknown_subcommand_exits_2(capsys):
    assert main(["train"]) == 2
    assert "unknown subcommand" in capsys.readouterr().err


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_aws_adapter_imports_boto3():
    # Given every module of training/
    holders = sorted(
        str(p.relative_to(TRAINING)) for p in TRAINING.rglob("*.py") if _imports(p) & {"boto3", "botocore"}
    )
    # Then boto3/botocore appear in training/aws.py only
    assert holders == ["aws.py"]
