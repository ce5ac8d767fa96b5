"""The model server's side of the SageMaker contract: one request body in, one response body out.

:func:`handle_invocation` is what a SageMaker container's ``/invocations`` does, for any engine: the local
async endpoint can call it for each request, and so could a bring-your-own-container image serving an
engine on SageMaker. It reads a request of either contract (JumpStart ``text_inputs`` or TGI ``inputs``;
:func:`~radimpress.drafting.engines.contract.parse_request`) and answers in the configured one
(:func:`~radimpress.drafting.engines.contract.render_response`).

Engines come in two kinds, and each is served the way it works:

* a generative engine (a :class:`PromptCompleter`, such as
  :class:`~radimpress.drafting.engines.seq2seq.Seq2SeqEngine`) receives the prompt exactly as sent and the
  request's decoding settings, and answers with every text it generated, as a JumpStart container does;
* any other :class:`~radimpress.drafting.engines.base.Engine` (the embedded retrieval engine) receives the
findings
  recovered from the prompt (:func:`~radimpress.drafting.prompts.findings_from_prompt`) and answers with its
  draft. An abstention raises :class:`EngineAbstainedError`, which a server reports as a model error.

A request that cannot be read raises :class:`~radimpress.errors.InferenceError` (a client error). No
message carries request text: it is report text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from radimpress.drafting.engines.base import Engine
from radimpress.drafting.engines.contract import (
    GenerationSettings,
    ModelContract,
    parse_request,
    render_response,
)
from radimpress.drafting.prompts import STUDY_PROMPT, findings_from_prompt
from radimpress.errors import EngineAbstainedError

__all__ = ["EngineAbstainedError", "PromptCompleter", "handle_invocation"]


@runtime_checkable
class PromptCompleter(Protocol):
    """A generative engine: prompts in, ``num_return_sequences`` generated texts per prompt out."""

    def complete(
        self, prompts: Sequence[str], settings: GenerationSettings | None = None
    ) -> list[list[str]]: ...


def handle_invocation(
    body: bytes, engine: Engine, *, contract: ModelContract, template: str = STUDY_PROMPT
) -> bytes:
    """The response body ``engine`` gives to the request ``body``, rendered in ``contract``.

    ``template`` is the prompt template the requests were built with (``PROMPT_TEMPLATE``); it is used to
    recover the findings for a non-generative engine only.
    """
    prompt, settings = parse_request(body)
    if isinstance(engine, PromptCompleter):
        texts = engine.complete([prompt], settings)[0]
        return render_response(texts[:1] if contract == "tgi" else texts, contract)
    draft = engine.draft(findings_from_prompt(prompt, template))
    if draft.text is None:
        raise EngineAbstainedError(draft.abstained_reason or "no reason given")
    return render_response([draft.text], contract)
