"""Fine-tune a local seq2seq checkpoint (FLAN-T5) on the prepared JSONL with transformers' Seq2SeqTrainer.

For a site with its own GPU that may not send reports to SageMaker: the same data ``prepare`` writes for
JumpStart (``train/train.jsonl``, and ``validation/validation.jsonl`` when present: one
``{"prompt", "completion"}`` per line, the prompt already the study's instruction around the findings),
the same objective (the completion as the target of the prompt), and an output directory the ``flan-t5``
engine (:class:`radimpress.drafting.engines.seq2seq.Seq2SeqEngine`) loads as it is: model and tokenizer
written with ``save_pretrained``, plus ``radimpress-finetune.json`` (base checkpoint fingerprint, data
manifest sha256, the settings and the final losses) so a model can be traced to its data.

Precision: bf16 mixed precision on a GPU that supports it (T5 overflows in fp16, so never fp16), float32
on the CPU. Nothing is downloaded: the base checkpoint is read with ``local_files_only``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from radimpress.errors import ConfigurationError, RadimpressError

__all__ = ["FinetuneSettings", "load_samples", "main", "precision", "run_finetune", "training_arguments"]

RECORD_FILE = "radimpress-finetune.json"


@dataclass(frozen=True, slots=True)
class FinetuneSettings:
    """What the run uses; defaults follow the JumpStart FLAN-T5 fine-tune (3 epochs) at a local scale."""

    epochs: float = 3.0
    max_steps: int = -1  # > 0 stops after that many optimiser steps (a smoke run)
    learning_rate: float = 1e-4
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    max_input_length: int = 512
    max_target_length: int = 128
    seed: int = 0
    logging_steps: int = 10


def load_samples(path: Path) -> list[tuple[str, str]]:
    """``(prompt, completion)`` of each line of a prepared JSONL file; a malformed line raises."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the samples: {exc}", where=str(path)) from exc
    samples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigurationError("not a JSON line", where=f"{path.name}:{number}") from exc
        prompt, completion = (row.get("prompt"), row.get("completion")) if isinstance(row, dict) else (0, 0)
        if not isinstance(prompt, str) or not isinstance(completion, str):
            raise ConfigurationError("expected prompt and completion strings", where=f"{path.name}:{number}")
        samples.append((prompt, completion))
    if not samples:
        raise ConfigurationError("no samples", where=str(path))
    return samples


def precision(*, cuda: bool, bf16_supported: bool) -> dict[str, bool]:
    """The trainer's precision flags: bf16 on a GPU that has it, else float32 (never fp16 for T5)."""
    return {"bf16": cuda and bf16_supported, "fp16": False, "use_cpu": not cuda}


def training_arguments(
    settings: FinetuneSettings, work_dir: Path, *, cuda: bool, bf16: bool, has_validation: bool
) -> dict[str, Any]:
    """The keyword arguments of ``Seq2SeqTrainingArguments`` for ``settings``."""
    return {
        "output_dir": str(work_dir),
        "num_train_epochs": settings.epochs,
        "max_steps": settings.max_steps,
        "learning_rate": settings.learning_rate,
        "per_device_train_batch_size": settings.batch_size,
        "per_device_eval_batch_size": settings.batch_size,
        "gradient_accumulation_steps": settings.gradient_accumulation_steps,
        "seed": settings.seed,
        "data_seed": settings.seed,
        "logging_steps": settings.logging_steps,
        "eval_strategy": "epoch" if has_validation else "no",
        "save_strategy": "no",  # the one checkpoint is written at the end, in the engine's layout
        "report_to": "none",
        "predict_with_generate": False,
        "disable_tqdm": True,
        **precision(cuda=cuda, bf16_supported=bf16),
    }


class _Encoded:
    """A list-backed dataset of tokenized samples (the trainer needs only ``__len__``/``__getitem__``)."""

    def __init__(self, tokenizer: Any, samples: Sequence[tuple[str, str]], settings: FinetuneSettings):
        prompts = [prompt for prompt, _ in samples]
        targets = [completion for _, completion in samples]
        inputs = tokenizer(prompts, truncation=True, max_length=settings.max_input_length)
        labels = tokenizer(text_target=targets, truncation=True, max_length=settings.max_target_length)
        self.rows = [
            {"input_ids": ids, "attention_mask": mask, "labels": label}
            for ids, mask, label in zip(
                inputs["input_ids"], inputs["attention_mask"], labels["input_ids"], strict=True
            )
        ]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.rows[index]


def _sha256(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def run_finetune(checkpoint: Path, data: Path, out: Path, settings: FinetuneSettings) -> dict[str, Any]:
    """Train ``checkpoint`` on ``data`` (a ``prepare`` folder) and save the result in ``out``; the record."""
    if not checkpoint.is_dir():
        raise ConfigurationError("the base checkpoint is not a directory", where=str(checkpoint))
    train_samples = load_samples(data / "train/train.jsonl")
    validation_path = data / "validation/validation.jsonl"
    validation_samples = load_samples(validation_path) if validation_path.is_file() else None
    try:
        import torch  # noqa: PLC0415 - heavy and optional ([transformers] extra)
        from transformers import (  # noqa: PLC0415 - idem
            AutoModelForSeq2SeqLM,
            AutoTokenizer,
            DataCollatorForSeq2Seq,
            Seq2SeqTrainer,
            Seq2SeqTrainingArguments,
        )
    except ImportError as exc:
        raise ConfigurationError(
            "finetune-local needs: pip install 'radimpress[transformers]'", where="transformers"
        ) from exc
    from radimpress.drafting.engines.seq2seq import checkpoint_fingerprint  # noqa: PLC0415

    tokenizer = AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
    model = AutoModelForSeq2SeqLM.from_pretrained(checkpoint, local_files_only=True, trust_remote_code=False)
    cuda = bool(torch.cuda.is_available())
    bf16 = cuda and bool(torch.cuda.is_bf16_supported())
    work_dir = out / ".trainer"
    arguments = Seq2SeqTrainingArguments(
        **training_arguments(
            settings, work_dir, cuda=cuda, bf16=bf16, has_validation=validation_samples is not None
        )
    )
    trainer = Seq2SeqTrainer(
        model=model,
        args=arguments,
        train_dataset=_Encoded(tokenizer, train_samples, settings),
        eval_dataset=None
        if validation_samples is None
        else _Encoded(tokenizer, validation_samples, settings),
        data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
        processing_class=tokenizer,
    )
    result = trainer.train()
    metrics = trainer.evaluate() if validation_samples is not None else {}
    out.mkdir(parents=True, exist_ok=True)
    trainer.save_model(str(out))
    tokenizer.save_pretrained(out)
    record = {
        "base_checkpoint": checkpoint.name,
        "base_fingerprint": checkpoint_fingerprint(checkpoint),
        "data_manifest_sha256": _sha256(data / "manifest.json"),
        "train_samples": len(train_samples),
        "validation_samples": None if validation_samples is None else len(validation_samples),
        "settings": asdict(settings),
        "device": "cuda" if cuda else "cpu",
        "bf16": bf16,
        "steps": int(result.global_step),
        "train_loss": float(result.training_loss),
        "eval_loss": None if "eval_loss" not in metrics else float(metrics["eval_loss"]),
    }
    (out / RECORD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return record


def main(argv: Sequence[str] | None = None, *, prog: str = "radimpress-train finetune-local") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="base checkpoint directory (save_pretrained)")
    parser.add_argument("--data", required=True, help="the folder prepare wrote")
    parser.add_argument("--out", required=True, help="where the fine-tuned checkpoint is written")
    defaults = FinetuneSettings()
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--max-steps", type=int, default=defaults.max_steps, help="stop after N steps")
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument(
        "--gradient-accumulation-steps", type=int, default=defaults.gradient_accumulation_steps
    )
    parser.add_argument("--max-input-length", type=int, default=defaults.max_input_length)
    parser.add_argument("--max-target-length", type=int, default=defaults.max_target_length)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args(argv)
    settings = FinetuneSettings(
        epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        max_input_length=args.max_input_length,
        max_target_length=args.max_target_length,
        seed=args.seed,
    )
    try:
        record = run_finetune(Path(args.checkpoint), Path(args.data), Path(args.out), settings)
    except RadimpressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(record, indent=2, sort_keys=True))
    return 0
