"""Every engine, and the flags on its draft, read a wrapped report as its one-line form.

Real feeds wrap findings: one OBX per printed line, FT values with ``\\.br\\``, text reports at 60-80
columns with ``\\r\\n``. For any bundled IU report's findings, re-wrapped at any width with any of those
breaks, each engine's draft and the draft's safety flags are those of the flat findings.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radimpress.datasets.split import load_split
from radimpress.drafting.engines import Engine
from radimpress.drafting.engines.consensus.engine import ConsensusEngine
from radimpress.drafting.engines.contract import GenerationSettings
from radimpress.drafting.engines.retrieval import RetrievalEngine
from radimpress.drafting.engines.seq2seq import Seq2SeqEngine
from radimpress.drafting.safety import flag_draft
from tests.tiny_seq2seq import require_transformers, save_tiny_t5

SPLIT = load_split()
FINDINGS = sorted({pair.findings for pair in SPLIT.dev}, key=len)
BREAKS = st.sampled_from(["\n", "\r\n", "\\.br\\", "\r\n\r\n"])


def wrap(text: str, width: int, newline: str) -> str:
    return newline.join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))


@pytest.fixture(scope="module")
def consensus() -> ConsensusEngine:
    return ConsensusEngine(SPLIT.train)


@pytest.fixture(scope="module")
def retrieval() -> RetrievalEngine:
    return RetrievalEngine((pair.findings, pair.impression) for pair in SPLIT.train)


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    require_transformers()
    directory: Path = tmp_path_factory.mktemp("tiny-t5")
    # short generations: the property is about what the model reads, not how long it writes
    yield Seq2SeqEngine.from_pretrained(
        save_tiny_t5(directory / "model"),
        device="cpu",
        settings=GenerationSettings(max_length=8, num_beams=1),
    )


def _same_draft_and_flags(engine: Engine, findings: str, width: int, newline: str) -> None:
    flat = engine.draft(findings).text
    wrapped_findings = wrap(findings, width, newline)
    wrapped = engine.draft(wrapped_findings).text
    assert wrapped == flat
    if flat is not None:
        assert flag_draft(wrapped_findings, flat) == flag_draft(findings, flat)


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(st.sampled_from(FINDINGS), st.integers(min_value=12, max_value=90), BREAKS)
def test_the_consensus_engine(consensus: ConsensusEngine, findings: str, width: int, newline: str) -> None:
    _same_draft_and_flags(consensus, findings, width, newline)


@_SETTINGS
@given(st.sampled_from(FINDINGS), st.integers(min_value=12, max_value=90), BREAKS)
def test_the_retrieval_engine(retrieval: RetrievalEngine, findings: str, width: int, newline: str) -> None:
    _same_draft_and_flags(retrieval, findings, width, newline)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FINDINGS[:200]), st.integers(min_value=12, max_value=90), BREAKS)
def test_the_seq2seq_engine(seq2seq: Engine, findings: str, width: int, newline: str) -> None:
    _same_draft_and_flags(seq2seq, findings, width, newline)


def test_the_dev_split_wrapped_at_60_columns_drafts_as_flat(consensus: ConsensusEngine) -> None:
    # Given every dev report's findings wrapped at 60 columns, When drafted, Then no draft changes
    changed = [f for f in FINDINGS if consensus.draft(wrap(f, 60, "\n")).text != consensus.draft(f).text]
    assert changed == []
