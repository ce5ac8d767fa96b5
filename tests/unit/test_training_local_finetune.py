"""training.local_finetune: a few Seq2SeqTrainer steps on a tiny T5, then drafting through the engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radimpress.drafting.engines.seq2seq import Seq2SeqEngine, checkpoint_fingerprint
from radimpress.drafting.prompts import build_prompt
from radimpress.drafting.serving import handle_invocation
from radimpress.errors import ConfigurationError
from tests.tiny_seq2seq import require_transformers, save_tiny_t5
from tests.training_fixtures import iu_rows
from training.local_finetune import FinetuneSettings, load_samples, precision, training_arguments
from training.prepare import main as prepare_main


def test_precision_is_bf16_only_on_a_gpu_that_has_it_never_fp16():
    # Given / When / Then
    assert precision(cuda=True, bf16_supported=True) == {"bf16": True, "fp16": False, "use_cpu": False}
    assert precision(cuda=True, bf16_supported=False) == {"bf16": False, "fp16": False, "use_cpu": False}
    assert precision(cuda=False, bf16_supported=True) == {"bf16": False, "fp16": False, "use_cpu": True}
    arguments = training_arguments(FinetuneSettings(), Path("w"), cuda=False, bf16=False, has_validation=True)
    assert arguments["eval_strategy"] == "epoch"
    assert arguments["save_strategy"] == "no"
    assert arguments["bf16"] is False


def test_malformed_samples_are_rejected(tmp_path):
    # Given a line without a completion
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"prompt": "p"}) + "\n")
    # When / Then
    with pytest.raises(ConfigurationError, match="prompt and completion"):
        load_samples(path)


def test_a_few_steps_write_a_checkpoint_the_engine_and_the_endpoint_contract_serve(tmp_path):
    require_transformers()
    from training.local_finetune import run_finetune

    # Given a tiny T5 and a prepared set of 24 IU reports
    base = save_tiny_t5(tmp_path / "tiny-t5")
    reports = tmp_path / "reports.jsonl"
    reports.write_text("".join(json.dumps(row) + "\n" for row in iu_rows(24)), encoding="utf-8")
    assert prepare_main(["--reports", str(reports), "--out", str(tmp_path / "data"), "--split", "dev"]) == 0
    # When fine-tuned for 3 steps on the CPU
    record = run_finetune(
        base,
        tmp_path / "data",
        tmp_path / "ft",
        FinetuneSettings(max_steps=3, batch_size=4, learning_rate=1e-2, logging_steps=1),
    )
    # Then the record says what ran, the weights changed, and the engine loads the output as it is
    assert record["steps"] == 3
    assert record["device"] == "cpu" and record["bf16"] is False
    assert record["train_loss"] > 0
    assert record["eval_loss"] is not None
    assert json.loads((tmp_path / "ft/radimpress-finetune.json").read_text()) == record
    assert checkpoint_fingerprint(tmp_path / "ft") != checkpoint_fingerprint(base)
    engine = Seq2SeqEngine.from_pretrained(tmp_path / "ft", device="cpu")
    draft = engine.draft("Heart size is normal. Lungs are clear.")
    assert draft.engine == "flan-t5"
    assert draft.model_id.startswith("seq2seq:ft@")
    # And a JumpStart-style request through the model server's contract answers with the same text
    body = json.dumps(
        {
            "text_inputs": build_prompt("Heart size is normal. Lungs are clear."),
            "max_length": 80,
            "num_beams": 10,
            "num_return_sequences": 1,
        }
    ).encode()
    response = json.loads(handle_invocation(body, engine, contract="jumpstart-v1"))
    assert response == {
        "generated_texts": engine.complete([build_prompt("Heart size is normal. Lungs are clear.")])[0]
    }
    assert draft.text is not None
    assert draft.text.lower().rstrip(".") == response["generated_texts"][0].strip().lower().rstrip(".")
