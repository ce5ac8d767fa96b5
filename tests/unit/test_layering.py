"""The package's stages import only in the direction of the flow (docs/architecture.md, "Code layout").

A report passes transports -> reading -> drafting -> scoring, and the pipeline services tie the stages to the
ports; adapters implement the ports with boto3; the local runtime stands AWS up on one machine. Each stage
may import the cross-cutting modules and the stages before it, never one after it, so ``reading`` can be
tested (and shipped) without an engine, and no domain code reaches AWS except through a port.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import radimpress

PACKAGE = Path(radimpress.__file__).parent

CROSS_CUTTING = {"errors", "config", "ports", "observability", "pseudonym"}
# stage -> the radimpress units (stages or cross-cutting modules) it may import, besides itself
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "pseudonym": set(),
    "observability": set(),
    "ports": {"errors"},
    "language": {"errors"},
    "reading": {"errors", "pseudonym", "language"},
    "datasets": {"errors", "language", "reading"},
    "drafting": {"errors", "language", "reading", "datasets"},
    "config": {"errors", "drafting"},
    "scoring": {"errors", "language", "reading", "datasets", "drafting"},
    "transports": {"errors", "observability", "ports", "reading"},
    "pipeline": CROSS_CUTTING | {"language", "reading", "datasets", "drafting", "scoring", "transports"},
    "adapters": CROSS_CUTTING | {"pipeline", "transports"},
    # the operations page: figures from a connection it is given; its `source` opens a bucket copy through
    # local.query (DuckDB), for `radimpress dashboard` only (make demo hands over its own connection)
    "dashboard": CROSS_CUTTING | {"pipeline", "local"},
    # the entry points: anything but each other
    "cli": CROSS_CUTTING
    | {"language", "reading", "datasets", "drafting", "scoring", "transports"}
    | {"pipeline", "adapters", "dashboard"},
    "local": CROSS_CUTTING
    | {"language", "reading", "datasets", "drafting", "scoring", "transports"}
    | {"pipeline", "adapters", "dashboard"},
}
# third-party packages that only some units may import
RESTRICTED = {
    "boto3": {"adapters", "local"},
    "botocore": {"adapters", "local"},
    "pyarrow": {"adapters"},
    "moto": {"local"},
    "duckdb": {"local"},
    "aws_lambda_powertools": {"observability", "adapters"},
    "hl7apy": {"reading"},
    "torch": {"drafting"},
    "transformers": {"drafting"},
    "altair": {"dashboard"},
    "vl_convert": {"dashboard"},
}


def _imports() -> dict[str, dict[str, set[str]]]:
    """unit -> imported name (a radimpress unit, or a third-party root) -> the files that import it."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for source in sorted(PACKAGE.rglob("*.py")):
        parts = source.relative_to(PACKAGE).parts
        unit = parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                dotted = name.split(".")
                target = dotted[1] if dotted[0] == "radimpress" and len(dotted) > 1 else dotted[0]
                if target != unit and target != "radimpress":
                    found[unit][target].add("/".join(parts))
    return found


IMPORTS = _imports()


def test_every_unit_of_the_package_has_a_rule() -> None:
    # Given the top-level modules and packages of radimpress
    units = {
        path.name.removesuffix(".py")
        for path in PACKAGE.iterdir()
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())
    } - {"__init__"}

    # Then each is a stage or cross-cutting module this test knows (a new folder needs its rule here)
    assert units == set(ALLOWED)


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_a_unit_imports_only_the_stages_before_it(unit: str) -> None:
    # Given what the unit's modules import from radimpress
    internal = {name: files for name, files in IMPORTS.get(unit, {}).items() if name in ALLOWED}

    # Then nothing comes from a later stage
    forbidden = {name: sorted(files) for name, files in internal.items() if name not in ALLOWED[unit]}
    assert forbidden == {}


@pytest.mark.parametrize("library", sorted(RESTRICTED))
def test_heavy_and_aws_libraries_stay_in_their_units(library: str) -> None:
    # Given the units whose modules import the library
    importers = {unit for unit, names in IMPORTS.items() if library in names}

    # Then only the units allowed to hold it do (boto3: adapters and the local runtime)
    assert importers <= RESTRICTED[library]


def test_the_rules_are_not_vacuous() -> None:
    # Given the import graph, Then the stages really do import their predecessors (the parser is wired in)
    assert "reading" in IMPORTS["drafting"]
    assert "boto3" in IMPORTS["adapters"] or "botocore" in IMPORTS["adapters"]
    assert "pipeline" in IMPORTS["adapters"]
