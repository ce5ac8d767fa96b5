"""On-prem FLAN-T5: a ``transformers`` seq2seq checkpoint on this machine's CPU or GPU.

The engine loads a checkpoint *directory* (a FLAN-T5 download, e.g. ``google/flan-t5-xl`` copied onto the
site's disk, or a fine-tune saved by the training module) with ``AutoTokenizer`` and
``AutoModelForSeq2SeqLM``, ``local_files_only=True``: it never contacts a model hub, so a site that may not
send reports out of the building runs it as is. It drafts the way the SageMaker path does: the same prompt
(:func:`~radimpress.drafting.prompts.build_prompt` around the findings, the study's template unless
configured) and the same decoding (:class:`~radimpress.drafting.engines.contract.GenerationSettings`: beam
search with 10 beams, up to 80 tokens, one sequence, ``early_stopping=True``, no sampling), so the same inputs
give the same draft.

``torch`` and ``transformers`` are imported only by :meth:`Seq2SeqEngine.from_pretrained`: importing this
module, or :mod:`radimpress.drafting.engines`, loads neither. They come with the optional extra
``radimpress[transformers]``.

Two entry points share one model: :meth:`Seq2SeqEngine.draft` / :meth:`~Seq2SeqEngine.draft_many` (findings
in, :class:`~radimpress.drafting.engines.base.Draft` out, the pipeline's engine interface) and
:meth:`Seq2SeqEngine.complete` (prompts in, generated texts out, what a model server does with a request;
:mod:`radimpress.drafting.serving` uses it). Generation holds a lock: the local endpoint's worker threads
share one engine, a fast tokenizer must not be used by two threads at once, and one generation already uses
every core torch is given.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, get_args

from radimpress.drafting.engines.base import Draft
from radimpress.drafting.engines.contract import GenerationSettings
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt, validate_template
from radimpress.errors import ConfigurationError
from radimpress.language.fluency import polish
from radimpress.reading.model import DraftContext

__all__ = [
    "ABSTAIN_EMPTY_FINDINGS",
    "ABSTAIN_EMPTY_GENERATION",
    "DTYPES",
    "DType",
    "Seq2SeqEngine",
    "checkpoint_fingerprint",
]

ABSTAIN_EMPTY_FINDINGS = "empty_findings"  # blank findings: the model is not run
ABSTAIN_EMPTY_GENERATION = "empty_generation"  # the model generated only special tokens or whitespace

DType = Literal["auto", "float32", "bfloat16", "float16"]
DTYPES: tuple[DType, ...] = get_args(DType)

_WHOLE_FILE_LIMIT = 4 << 20  # files up to 4 MiB (configs, tokenizers) are hashed whole
_SAMPLE = 1 << 20  # of larger files (weights), the first and last MiB and the size


def checkpoint_fingerprint(directory: Path) -> str:
    """A short, stable digest of a checkpoint directory, cheap even for an 11 GB FLAN-T5 XL.

    Every regular file at the top level, in name order, contributes its name and size, and its bytes:
    all of them up to 4 MiB (configs, tokenizer), the first and last MiB of larger files (weights; a
    fine-tune changes every tensor, so both ends differ). 12 hex characters.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        size = path.stat().st_size
        digest.update(f"{path.name}\0{size}\0".encode())
        with path.open("rb") as handle:
            if size <= _WHOLE_FILE_LIMIT:
                digest.update(handle.read())
            else:
                digest.update(handle.read(_SAMPLE))
                handle.seek(size - _SAMPLE)
                digest.update(handle.read(_SAMPLE))
    return digest.hexdigest()[:12]


def _resolve_device(torch: Any, device: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; ``cuda``/``cuda:N`` only with a GPU."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ConfigurationError(f"device {device!r} asked for, but torch sees no GPU", where="device")
        return device
    raise ConfigurationError(f"unknown device {device!r}; use auto, cpu, cuda or cuda:N", where="device")


def _resolve_dtype(torch: Any, dtype: str, device: str) -> Any:
    """``auto`` → float32 on the CPU, bfloat16 on a GPU that supports it (float32 otherwise)."""
    if dtype not in DTYPES:
        raise ConfigurationError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPES)}", where="dtype")
    if dtype == "auto":
        on_gpu = device.startswith("cuda")
        return torch.bfloat16 if on_gpu and torch.cuda.is_bf16_supported() else torch.float32
    return getattr(torch, dtype)


class Seq2SeqEngine:
    """Drafts an impression with a local seq2seq language model (FLAN-T5 or a fine-tune of it)."""

    name: ClassVar[str] = "flan-t5"

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        model_id: str,
        device: str = "cpu",
        settings: GenerationSettings | None = None,
        template: str = STUDY_PROMPT,
        max_input_length: int = 512,
        batch_size: int = 8,
    ) -> None:
        """An engine around an already loaded ``model`` (in eval mode, on ``device``) and its ``tokenizer``.

        Use :meth:`from_pretrained` to load a checkpoint directory. ``max_input_length`` truncates long
        prompts (FLAN-T5 was trained on 512 tokens); ``batch_size`` bounds the prompts generated together.
        """
        if max_input_length < 1 or batch_size < 1:
            raise ConfigurationError("max_input_length and batch_size must be positive", where="engine")
        self.model = model
        self.tokenizer = tokenizer
        self.model_id = model_id
        self.device = device
        self.settings = settings if settings is not None else GenerationSettings()
        self.template = validate_template(template)
        self.max_input_length = max_input_length
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        checkpoint: str | Path,
        *,
        device: str = "auto",
        dtype: str = "auto",
        settings: GenerationSettings | None = None,
        template: str = STUDY_PROMPT,
        max_input_length: int = 512,
        batch_size: int = 8,
        threads: int | None = None,
        model_id: str | None = None,
    ) -> Seq2SeqEngine:
        """Load the tokenizer and model saved (``save_pretrained``) in the directory ``checkpoint``.

        Files are read from that directory only (``local_files_only=True``, no remote code). ``device``:
        ``auto`` (a GPU when torch sees one), ``cpu``, ``cuda`` or ``cuda:N``. ``dtype``: ``auto`` (float32
        on the CPU, bfloat16 on a GPU that has it), ``float32``, ``bfloat16`` or ``float16`` (T5 overflows
        in float16; do not use it for FLAN-T5). ``threads`` sets torch's intra-op threads, for the whole
        process. ``model_id`` defaults to ``seq2seq:<directory name>@<fingerprint>``. A missing
        directory, a file missing in it, or an unusable option raises :class:`ConfigurationError`.
        """
        validate_template(template)  # options first: loading an XL checkpoint takes a while
        if max_input_length < 1 or batch_size < 1:
            raise ConfigurationError("max_input_length and batch_size must be positive", where="engine")
        directory = Path(checkpoint).expanduser()
        if not directory.is_dir():  # a non-directory string would otherwise be taken as a hub repo id
            raise ConfigurationError("the checkpoint is not a directory", where=str(directory))
        try:
            import torch  # noqa: PLC0415 - heavy and optional: only when an engine is built
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer  # noqa: PLC0415 - idem
        except ImportError as exc:
            raise ConfigurationError(
                "the flan-t5 engine needs the optional extra: pip install 'radimpress[transformers]'",
                where="engine",
            ) from exc
        resolved = _resolve_device(torch, device)
        torch_dtype = _resolve_dtype(torch, dtype, resolved)
        if threads is not None:
            if threads < 1:
                raise ConfigurationError("threads must be positive", where="threads")
            torch.set_num_threads(threads)
        try:
            tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
            model = AutoModelForSeq2SeqLM.from_pretrained(
                directory, local_files_only=True, trust_remote_code=False, dtype=torch_dtype
            )
        except (OSError, ValueError, KeyError) as exc:  # missing files, unknown model type, bad config
            first_line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise ConfigurationError(
                f"cannot load a seq2seq checkpoint: {type(exc).__name__}: {first_line}", where=str(directory)
            ) from exc
        model.to(resolved)
        model.eval()
        # The request's max_length must bound the output, as in the serving container: a max_new_tokens
        # saved in the checkpoint's generation config would take precedence over it.
        model.generation_config.max_new_tokens = None
        return cls(
            model,
            tokenizer,
            model_id=model_id or f"seq2seq:{directory.name}@{checkpoint_fingerprint(directory)}",
            device=resolved,
            settings=settings,
            template=template,
            max_input_length=max_input_length,
            batch_size=batch_size,
        )

    def __repr__(self) -> str:
        return f"Seq2SeqEngine(model_id={self.model_id!r}, device={self.device!r}, settings={self.settings})"

    def generate_kwargs(self, settings: GenerationSettings | None = None) -> dict[str, Any]:
        """The keyword arguments of ``model.generate`` for ``settings`` (default: the engine's)."""
        chosen = settings if settings is not None else self.settings
        kwargs: dict[str, Any] = {
            "max_length": chosen.max_length,
            "num_beams": chosen.num_beams,
            "num_return_sequences": chosen.num_return_sequences,
            "do_sample": False,
        }
        if chosen.num_beams > 1:  # meaningless (and warned about) for greedy search
            kwargs["early_stopping"] = True
        return kwargs

    def complete(self, prompts: Sequence[str], settings: GenerationSettings | None = None) -> list[list[str]]:
        """For each prompt, as given, its ``num_return_sequences`` generated texts (special tokens removed).

        Prompts are generated in batches of ``batch_size``, padded, without gradients. What a model server
        does with a request; :meth:`draft_many` wraps findings in the template first.
        """
        import torch  # noqa: PLC0415 - already loaded by from_pretrained; keeps this module import-light

        kwargs = self.generate_kwargs(settings)
        per_prompt = kwargs["num_return_sequences"]
        texts: list[list[str]] = []
        with self._lock, torch.inference_mode():
            for start in range(0, len(prompts), self.batch_size):
                chunk = list(prompts[start : start + self.batch_size])
                encoded = self.tokenizer(
                    chunk,
                    return_tensors="pt",
                    padding=True,
                    truncation=True,
                    max_length=self.max_input_length,
                ).to(self.device)
                output = self.model.generate(
                    input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"], **kwargs
                )
                decoded: list[str] = self.tokenizer.batch_decode(output, skip_special_tokens=True)
                texts += [decoded[i : i + per_prompt] for i in range(0, len(decoded), per_prompt)]
        return texts

    def draft_many(
        self, findings_list: Sequence[str], *, settings: GenerationSettings | None = None
    ) -> list[Draft]:
        """One draft per findings text, in order; generated in padded batches.

        Prompts are batched longest first (less padding); the drafts are the same as one at a time. Blank
        findings abstain without running the model, so does an empty generation. ``latency_ms`` of a
        draft is the time of the batch it was generated in.
        """
        drafts: list[Draft | None] = [None] * len(findings_list)
        todo: list[int] = []
        for index, findings in enumerate(findings_list):
            if findings.strip():
                todo.append(index)
            else:
                drafts[index] = self._abstain(ABSTAIN_EMPTY_FINDINGS, 0.0)
        todo.sort(key=lambda i: (-len(findings_list[i]), i))
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start : start + self.batch_size]
            started = time.perf_counter()
            texts = self.complete([build_prompt(findings_list[i], self.template) for i in chunk], settings)
            latency_ms = (time.perf_counter() - started) * 1000.0
            for index, generated in zip(chunk, texts, strict=True):
                text = polish(generated[0])
                drafts[index] = (
                    Draft(text, self.name, self.model_id, latency_ms)
                    if text
                    else self._abstain(ABSTAIN_EMPTY_GENERATION, latency_ms)
                )
        return [draft for draft in drafts if draft is not None]

    def draft(
        self,
        findings: str,
        context: DraftContext | None = None,
        *,
        settings: GenerationSettings | None = None,
    ) -> Draft:
        """The draft for ``findings``; ``context`` is accepted for the engine interface and not used."""
        return self.draft_many([findings], settings=settings)[0]

    def _abstain(self, reason: str, latency_ms: float) -> Draft:
        return Draft(None, self.name, self.model_id, latency_ms, abstained_reason=reason)
