"""The JSON a SageMaker JumpStart text model reads and writes, in its two serving contracts.

``jumpstart-v1`` is the text2text contract the study's model was served with::

    request  {"text_inputs": "<prompt>", "max_length": 80, "num_beams": 10, "num_return_sequences": 1}
    response {"generated_texts": ["<impression>"]}

``tgi`` is Hugging Face Text Generation Inference, behind JumpStart's newer LLM containers::

    request  {"inputs": "<prompt>", "parameters": {"max_new_tokens": 80, "num_beams": 10, "do_sample": false}}
    response [{"generated_text": "<impression>"}]

``max_length`` of a text2text model bounds the generated text, as ``max_new_tokens`` does for TGI, so one
:class:`GenerationSettings` (the study's decoding: beam search, 10 beams, 80 tokens, one sequence) maps to
both. Both directions are here because both sides run in this project: the ingest function writes requests
and the completion function reads responses; the local async endpoint reads requests and writes responses.
Parsing failures are typed: :class:`~radimpress.errors.InferenceError` for a request the model side cannot
read, :class:`~radimpress.errors.BadModelOutputError` for a response without a usable text. Their messages
name the shape that was wrong, never the text inside it (it is report text).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, TypeGuard, get_args

from radimpress.errors import BadModelOutputError, ConfigurationError, InferenceError

__all__ = [
    "CONTENT_TYPE",
    "MODEL_CONTRACTS",
    "GenerationSettings",
    "ModelContract",
    "build_request",
    "parse_contract",
    "parse_request",
    "parse_response",
    "render_response",
]

ModelContract = Literal["jumpstart-v1", "tgi"]
MODEL_CONTRACTS: tuple[ModelContract, ...] = get_args(ModelContract)
CONTENT_TYPE = "application/json"  # ContentType and Accept of InvokeEndpointAsync, both contracts


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """Decoding settings; the defaults are the study's (beam search: 10 beams, up to 80 tokens, 1 text)."""

    max_length: int = 80
    num_beams: int = 10
    num_return_sequences: int = 1

    def __post_init__(self) -> None:
        for name in ("max_length", "num_beams", "num_return_sequences"):
            if not _positive_int(getattr(self, name)):
                raise ConfigurationError(
                    f"{name} must be a positive integer", where=f"GenerationSettings.{name}"
                )
        if self.num_return_sequences > self.num_beams:
            raise ConfigurationError(
                "beam search returns at most num_beams sequences",
                where="GenerationSettings.num_return_sequences",
            )


def parse_contract(value: str) -> ModelContract:
    """``value`` (the ``MODEL_CONTRACT`` variable) as a contract; :class:`ConfigurationError` if unknown."""
    for contract in MODEL_CONTRACTS:
        if value == contract:
            return contract
    raise ConfigurationError(
        f"unknown model contract {value!r}; known: {', '.join(MODEL_CONTRACTS)}", where="MODEL_CONTRACT"
    )


def _dumps(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def build_request(
    prompt: str, contract: ModelContract, settings: GenerationSettings = GenerationSettings()
) -> bytes:
    """The request body (JSON, ASCII-escaped) asking a model of ``contract`` to complete ``prompt``."""
    if contract == "jumpstart-v1":
        return _dumps(
            {
                "text_inputs": prompt,
                "max_length": settings.max_length,
                "num_beams": settings.num_beams,
                "num_return_sequences": settings.num_return_sequences,
            }
        )
    if contract == "tgi":
        if settings.num_return_sequences != 1:
            raise ConfigurationError(
                "a TGI endpoint returns one text per request", where="GenerationSettings.num_return_sequences"
            )
        parameters = {
            "max_new_tokens": settings.max_length,
            "num_beams": settings.num_beams,
            "do_sample": False,
        }
        return _dumps({"inputs": prompt, "parameters": parameters})
    raise ConfigurationError(f"unknown model contract {contract!r}", where="MODEL_CONTRACT")


def _load(body: bytes, error: type[InferenceError], what: str) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what} is not UTF-8 JSON") from exc


def _shape(document: object) -> str:
    """What a JSON document is, by type and keys only: safe to put in an error message."""
    if isinstance(document, dict):
        return f"an object with keys {sorted(document)[:8]}"
    if isinstance(document, list):
        return f"a list of {len(document)}"
    return f"a JSON {type(document).__name__}"


def parse_request(body: bytes) -> tuple[str, GenerationSettings]:
    """The prompt and decoding settings of a request in either contract; missing settings are the study's.

    Unknown keys are ignored, as the serving containers do. :class:`InferenceError` when the body is not
    JSON, has no string prompt, or has a setting that is not a positive integer.
    """
    document = _load(body, InferenceError, "the request")
    if not isinstance(document, dict):
        raise InferenceError(f"the request is {_shape(document)}, not an object")
    if "text_inputs" in document:
        prompt = document["text_inputs"]
        values = {
            name: document[name]
            for name in ("max_length", "num_beams", "num_return_sequences")
            if name in document
        }
    elif "inputs" in document:
        prompt = document["inputs"]
        parameters = document.get("parameters", {})
        if not isinstance(parameters, dict):
            raise InferenceError(f"the request's parameters are {_shape(parameters)}, not an object")
        renames = {"max_new_tokens": "max_length", "num_beams": "num_beams"}  # TGI returns one text
        values = {ours: parameters[theirs] for theirs, ours in renames.items() if theirs in parameters}
    else:
        raise InferenceError(f"the request is {_shape(document)}: neither text_inputs nor inputs")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InferenceError("the request's prompt is not a non-empty string")
    try:
        return prompt, GenerationSettings(**values)
    except ConfigurationError as exc:
        raise InferenceError(f"the request has an invalid setting: {exc}") from exc


def render_response(texts: list[str], contract: ModelContract) -> bytes:
    """The response body a model of ``contract`` returns for the generated ``texts``."""
    if contract == "jumpstart-v1":
        return _dumps({"generated_texts": list(texts)})
    if contract == "tgi":
        return _dumps([{"generated_text": text} for text in texts])
    raise ConfigurationError(f"unknown model contract {contract!r}", where="MODEL_CONTRACT")


def parse_response(body: bytes) -> str:
    """The first generated text of a response, stripped, whichever shape the endpoint answered in.

    Accepts ``{"generated_texts": [...]}`` (jumpstart-v1), ``[{"generated_text": ...}]`` (TGI) and
    ``{"generated_text": ...}`` (newer JumpStart containers). Anything else, or an empty text, raises
    :class:`BadModelOutputError`.
    """
    document = _load(body, BadModelOutputError, "the model output")
    candidate: object
    if isinstance(document, dict) and "generated_texts" in document:
        texts = document["generated_texts"]
        candidate = texts[0] if isinstance(texts, list) and texts else None
    elif isinstance(document, dict) and "generated_text" in document:
        candidate = document["generated_text"]
    elif isinstance(document, list) and document and isinstance(document[0], dict):
        candidate = document[0].get("generated_text")
    else:
        raise BadModelOutputError(f"the model output is {_shape(document)}, not a known response shape")
    if not isinstance(candidate, str):
        raise BadModelOutputError(f"the model output ({_shape(document)}) holds no generated text")
    text = candidate.strip()
    if not text:
        raise BadModelOutputError("the model generated an empty text")
    return text
