"""A tiny, randomly initialised T5 checkpoint (model + tokenizer), made by the tests themselves.

Real FLAN-T5 weights cannot be downloaded here, so the seq2seq engine's real loading and generation code
is tested on this one: a T5ForConditionalGeneration with d_model 16, two encoder and two decoder layers,
and T5's own tokenizer class (a Unigram model) over a vocabulary of about 70 pieces, both written with
``save_pretrained`` into a directory laid out exactly as a FLAN-T5 download is (``config.json``,
``generation_config.json``, ``model.safetensors``, ``tokenizer.json``, ``tokenizer_config.json``).
Seeded, and torch is pinned exactly by the ``[transformers]`` extra, so its output is the same every run.

Imported as ``tests.tiny_seq2seq``. In CI (``CI`` set) a missing torch or transformers is an error, not
a skip: ``make test`` installs the extra, and a broken install must not pass as skipped tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_WORDS = (
    "Generate",
    "radiology",
    "report",
    "impressions",
    "based",
    "on",
    "the",
    "following",
    "findings.",
    "Findings:",
    "no",
    "acute",
    "cardiopulmonary",
    "abnormality",
    "process",
    "disease",
    "heart",
    "size",
    "is",
    "normal",
    "within",
    "limits",
    "lungs",
    "are",
    "clear",
    "there",
    "pleural",
    "effusion",
    "pneumothorax",
    "or",
    "focal",
    "consolidation",
    "left",
    "right",
    "lower",
    "lobe",
    "opacity",
    "stable",
    "mild",
    "cardiomegaly",
)
_PIECES = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
_PIECES += [(f"\u2581{word}", -float(rank)) for rank, word in enumerate(_WORDS, start=1)]
_PIECES += [(char, -50.0) for char in "abcdefghijklmnopqrstuvwxyz.,:"]


def require_transformers() -> None:
    """Skip the calling test when torch or transformers is missing, except in CI, where it fails."""
    if os.environ.get("CI"):
        import torch  # noqa: F401 - the import is the check
        import transformers  # noqa: F401 - idem
    else:
        pytest.importorskip("torch")
        pytest.importorskip("transformers")


def save_tiny_t5(directory: Path, *, seed: int = 0, mute: bool = False) -> Path:
    """Write a tiny random T5 and its tokenizer into ``directory`` (created); returns ``directory``.

    The weights are initialised 8x wider than T5's default, so that this 16-dimensional model's output
    depends on its input (at the default scale it repeats one character whatever it reads). ``mute``
    saves a generation config that suppresses every ordinary token: only special tokens can be
    generated, so the decoded text is empty.
    """
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

    tokenizer = T5Tokenizer(vocab=_PIECES, extra_ids=0)
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=16,
        d_kv=8,
        d_ff=32,
        num_layers=2,
        num_decoder_layers=2,
        num_heads=2,
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        initializer_factor=8.0,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    if mute:
        special = set(tokenizer.all_special_ids)
        model.generation_config.suppress_tokens = [i for i in range(len(tokenizer)) if i not in special]
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory
