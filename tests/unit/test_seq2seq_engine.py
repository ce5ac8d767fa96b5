"""The on-prem FLAN-T5 engine, through its real loading and generation code, on a tiny T5 made here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from radimpress.drafting.engines import Engine, build_engine, engine_names
from radimpress.drafting.engines.contract import GenerationSettings
from radimpress.drafting.engines.seq2seq import (
    ABSTAIN_EMPTY_FINDINGS,
    ABSTAIN_EMPTY_GENERATION,
    Seq2SeqEngine,
    checkpoint_fingerprint,
)
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.errors import ConfigurationError
from radimpress.language.fluency import polish
from tests.tiny_seq2seq import require_transformers, save_tiny_t5

FINDINGS = [
    "Heart size is normal. The lungs are clear. No pneumothorax or pleural effusion.",
    "Mild cardiomegaly. Left lower lobe opacity.",
    "stable",
    "No acute cardiopulmonary disease.",
    "Right pleural effusion.",
]
QUICK = GenerationSettings(max_length=12, num_beams=3)  # the study's decoding, shortened for speed


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_transformers()
    return save_tiny_t5(tmp_path_factory.mktemp("ckpt") / "tiny-flan-t5")


@pytest.fixture(scope="module")
def engine(checkpoint: Path) -> Seq2SeqEngine:
    built = build_engine("flan-t5", checkpoint=checkpoint, device="cpu", threads=1)
    assert isinstance(built, Seq2SeqEngine)
    return built


class GenerateSpy:
    """Wraps ``model.generate``: records its keyword arguments and output lengths, returns its output."""

    def __init__(self, generate: Any) -> None:
        self.generate = generate
        self.calls: list[dict[str, Any]] = []
        self.lengths: list[int] = []

    def __call__(self, **kwargs: Any) -> Any:
        output = self.generate(**kwargs)
        self.calls.append({k: v for k, v in kwargs.items() if k not in {"input_ids", "attention_mask"}})
        self.lengths.append(int(output.shape[-1]))
        return output


@pytest.fixture
def spy(engine: Seq2SeqEngine, monkeypatch: pytest.MonkeyPatch) -> Iterator[GenerateSpy]:
    recorder = GenerateSpy(engine.model.generate)
    monkeypatch.setattr(engine.model, "generate", recorder)
    yield recorder


def test_importing_the_engines_loads_neither_torch_nor_transformers() -> None:
    # Given a fresh interpreter, When the engine registry, this engine's module and the server are imported
    code = (
        "import sys, radimpress.drafting.engines, radimpress.drafting.engines.seq2seq, "
        "radimpress.drafting.serving; "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    # Then neither heavy library is loaded
    assert result.stdout.strip() == "[]"
    assert "flan-t5" in engine_names()


def test_the_registry_loads_a_local_checkpoint_as_an_engine(engine: Seq2SeqEngine, checkpoint: Path) -> None:
    # Given a checkpoint directory saved with save_pretrained, When built by name (fixture)
    # Then it is an Engine on the CPU, with the study's prompt and decoding and a fingerprinted model id
    assert isinstance(engine, Engine)
    assert engine.name == "flan-t5"
    assert engine.device == "cpu"
    assert engine.template == STUDY_PROMPT
    assert engine.settings == GenerationSettings(max_length=80, num_beams=10, num_return_sequences=1)
    assert engine.model_id == f"seq2seq:tiny-flan-t5@{checkpoint_fingerprint(checkpoint)}"
    assert not engine.model.training


def test_a_draft_is_a_non_empty_text_and_the_same_every_time(engine: Seq2SeqEngine, checkpoint: Path) -> None:
    # Given the engine with the study's settings, When the same findings are drafted twice
    first = engine.draft(FINDINGS[0])
    second = engine.draft(FINDINGS[0])

    # Then both are the same non-empty text, and a freshly loaded engine agrees
    assert first.text
    assert first.text == first.text.strip()
    assert first.abstained_reason is None
    assert (first.engine, first.model_id) == ("flan-t5", engine.model_id)
    assert first.latency_ms > 0
    assert second.text == first.text
    reloaded = Seq2SeqEngine.from_pretrained(checkpoint, device="cpu")
    assert reloaded.draft(FINDINGS[0], settings=QUICK).text == engine.draft(FINDINGS[0], settings=QUICK).text


def test_the_study_settings_map_to_generate(engine: Seq2SeqEngine, spy: GenerateSpy) -> None:
    # When one draft is generated with the engine's (the study's) settings
    engine.draft(FINDINGS[1])

    # Then generate got exactly the SageMaker path's decoding, and the output stays within max_length
    assert spy.calls == [
        {
            "max_length": 80,
            "num_beams": 10,
            "num_return_sequences": 1,
            "do_sample": False,
            "early_stopping": True,
        }
    ]
    assert spy.lengths[0] <= 80


def test_generation_respects_max_length(engine: Seq2SeqEngine, spy: GenerateSpy) -> None:
    # Given a short max_length, When drafting and completing with it
    short = GenerationSettings(max_length=5, num_beams=2)
    draft = engine.draft(FINDINGS[0], settings=short)
    unbounded = engine.draft(FINDINGS[0], settings=GenerationSettings(max_length=40, num_beams=2))

    # Then no output is longer than max_length tokens (the decoder start token included), and the
    # draft is the bounded prefix's text
    assert spy.lengths[0] <= 5
    assert draft.text
    assert unbounded.text
    assert len(engine.tokenizer(draft.text).input_ids) <= len(engine.tokenizer(unbounded.text).input_ids)


def test_the_draft_depends_on_the_findings(engine: Seq2SeqEngine) -> None:
    texts = {draft.text for draft in engine.draft_many(FINDINGS, settings=QUICK)}
    assert len(texts) > 1


def test_a_padded_batch_drafts_the_same_as_one_at_a_time(checkpoint: Path, spy: GenerateSpy) -> None:
    # Given an engine generating in batches of two, and findings of different lengths plus a blank one
    small_batches = Seq2SeqEngine.from_pretrained(checkpoint, device="cpu", batch_size=2)
    findings = [*FINDINGS, "   "]

    # When drafted as a batch and one by one
    batch = small_batches.draft_many(findings, settings=QUICK)
    single = [small_batches.draft(text, settings=QUICK) for text in findings]

    # Then the drafts are the same, in order; the blank findings abstain without running the model
    assert [d.text for d in batch] == [d.text for d in single]
    assert all(d.text for d in batch[:-1])
    assert batch[-1].abstained_reason == ABSTAIN_EMPTY_FINDINGS
    assert batch[-1].latency_ms == 0.0
    assert len(spy.calls) == 0  # the spy wraps the module engine's model, not this one


def test_draft_many_batches_the_prompts(engine: Seq2SeqEngine, spy: GenerateSpy) -> None:
    engine.draft_many(FINDINGS, settings=QUICK)
    assert len(spy.calls) == 1  # five prompts, batch_size 8: one generate call


def test_the_model_reads_the_study_prompt_or_the_configured_template(checkpoint: Path) -> None:
    # Given the study's template and a site's own
    study = Seq2SeqEngine.from_pretrained(checkpoint, device="cpu")
    template = "Summarize the findings as an impression: {findings}"
    custom = Seq2SeqEngine.from_pretrained(checkpoint, device="cpu", template=template)

    # When drafting, Then each generates from its template around the findings
    for engine, used in ((study, STUDY_PROMPT), (custom, template)):
        prompt = build_prompt(FINDINGS[1], used)
        assert engine.draft(FINDINGS[1], settings=QUICK).text == polish(
            engine.complete([prompt], QUICK)[0][0]
        )


def test_complete_returns_num_return_sequences_texts_per_prompt(engine: Seq2SeqEngine) -> None:
    prompts = [build_prompt(text) for text in FINDINGS[:2]]
    texts = engine.complete(prompts, GenerationSettings(max_length=8, num_beams=3, num_return_sequences=2))
    assert [len(per_prompt) for per_prompt in texts] == [2, 2]


def test_an_empty_generation_abstains(tmp_path: Path) -> None:
    # Given a checkpoint whose generation config lets only special tokens through
    require_transformers()
    mute = Seq2SeqEngine.from_pretrained(save_tiny_t5(tmp_path / "mute", mute=True), device="cpu")

    # When drafting, Then the engine abstains instead of returning an empty text
    draft = mute.draft(FINDINGS[0], settings=QUICK)
    assert draft.text is None
    assert draft.abstained_reason == ABSTAIN_EMPTY_GENERATION


def test_the_fingerprint_tells_a_fine_tune_from_its_base(checkpoint: Path, tmp_path: Path) -> None:
    # Given the same architecture saved with other weights (as a fine-tune is)
    other = save_tiny_t5(tmp_path / "tiny-flan-t5", seed=1)

    # Then the fingerprints differ, and are stable
    assert checkpoint_fingerprint(other) != checkpoint_fingerprint(checkpoint)
    assert checkpoint_fingerprint(checkpoint) == checkpoint_fingerprint(checkpoint)


def test_a_large_weights_file_is_fingerprinted_by_its_ends(tmp_path: Path) -> None:
    # Given two 5 MiB files that differ only in the middle, and one that differs at the end
    body = bytearray(5 << 20)
    for name, offset in (("a", None), ("b", 3 << 20), ("c", (5 << 20) - 1)):
        (tmp_path / name).mkdir()
        data = bytearray(body)
        if offset is not None:
            data[offset] = 1
        (tmp_path / name / "model.safetensors").write_bytes(bytes(data))

    # Then only the end is seen (weights are sampled, not read whole)
    fingerprints = [checkpoint_fingerprint(tmp_path / name) for name in ("a", "b", "c")]
    assert fingerprints[0] == fingerprints[1] != fingerprints[2]


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"device": "tpu"}, "device"),
        ({"dtype": "float8"}, "dtype"),
        ({"threads": 0}, "threads"),
        ({"batch_size": 0}, "engine"),
        ({"template": "no placeholder"}, "PROMPT_TEMPLATE"),
    ],
)
def test_bad_options_are_configuration_errors(checkpoint: Path, options: dict[str, Any], where: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        build_engine("flan-t5", checkpoint=checkpoint, **options)
    assert raised.value.where == where


def test_asking_for_a_gpu_without_one_is_a_configuration_error(checkpoint: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigurationError, match="no GPU"):
        Seq2SeqEngine.from_pretrained(checkpoint, device="cuda")
    assert Seq2SeqEngine.from_pretrained(checkpoint, device="auto").device == "cpu"


def test_a_missing_or_incomplete_checkpoint_is_a_configuration_error(tmp_path: Path) -> None:
    # Given a name that is not a directory (never looked up on a hub) and a directory without a model
    require_transformers()
    (tmp_path / "empty").mkdir()

    # Then both fail at start with the directory named
    with pytest.raises(ConfigurationError, match="not a directory"):
        Seq2SeqEngine.from_pretrained("google/flan-t5-xl")
    with pytest.raises(ConfigurationError, match="cannot load") as raised:
        Seq2SeqEngine.from_pretrained(tmp_path / "empty")
    assert raised.value.where == str(tmp_path / "empty")


def test_an_unknown_registry_option_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="invalid options"):
        build_engine("flan-t5", checkpoint=tmp_path, beams=4)
