"""The model server's contract: request body in, response body out, for any engine and both contracts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from radimpress.drafting.engines.base import Draft, Engine
from radimpress.drafting.engines.contract import (
    MODEL_CONTRACTS,
    GenerationSettings,
    ModelContract,
    build_request,
    parse_response,
)
from radimpress.drafting.engines.seq2seq import Seq2SeqEngine
from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt
from radimpress.drafting.serving import EngineAbstainedError, PromptCompleter, handle_invocation
from radimpress.errors import InferenceError
from radimpress.reading.model import DraftContext
from tests.tiny_seq2seq import require_transformers, save_tiny_t5

FINDINGS = "Heart size is normal. The lungs are clear. No pneumothorax or pleural effusion."


@dataclass
class EchoEngine:
    """Drafts ``IMPRESSION: <findings>``; abstains on findings equal to ``abstain_on``; records its input."""

    abstain_on: str | None = None
    seen: list[str] = field(default_factory=list)
    name: str = "echo"
    model_id: str = "echo-1"

    def draft(self, findings: str, context: DraftContext | None = None) -> Draft:
        self.seen.append(findings)
        if findings == self.abstain_on:
            return Draft(None, self.name, self.model_id, 0.1, abstained_reason="no_similar_report")
        return Draft(f"IMPRESSION: {findings}", self.name, self.model_id, 0.1)


def test_the_fake_is_an_engine_but_not_a_prompt_completer() -> None:
    assert isinstance(EchoEngine(), Engine)
    assert not isinstance(EchoEngine(), PromptCompleter)


@pytest.mark.parametrize("request_contract", MODEL_CONTRACTS)
@pytest.mark.parametrize("response_contract", MODEL_CONTRACTS)
def test_an_engine_drafts_from_the_findings_of_either_request_contract(
    request_contract: ModelContract, response_contract: ModelContract
) -> None:
    # Given a request in either contract, built as the ingest function builds it
    engine = EchoEngine()
    body = build_request(build_prompt(FINDINGS), request_contract)

    # When served in either response contract
    response = handle_invocation(body, engine, contract=response_contract)

    # Then the engine saw the findings (not the prompt), and the completion side reads its draft
    assert engine.seen == [FINDINGS]
    assert parse_response(response) == f"IMPRESSION: {FINDINGS}"
    expected_shape = dict if response_contract == "jumpstart-v1" else list
    assert isinstance(json.loads(response), expected_shape)


def test_the_findings_are_recovered_with_the_configured_template() -> None:
    template = "Impression for: {findings} (be brief)"
    engine = EchoEngine()
    handle_invocation(
        build_request(build_prompt(FINDINGS, template), "jumpstart-v1"),
        engine,
        contract="jumpstart-v1",
        template=template,
    )
    assert engine.seen == [FINDINGS]


def test_an_abstention_is_a_typed_model_error() -> None:
    engine = EchoEngine(abstain_on=FINDINGS)
    with pytest.raises(EngineAbstainedError) as raised:
        handle_invocation(build_request(build_prompt(FINDINGS), "tgi"), engine, contract="tgi")
    assert raised.value.reason == "no_similar_report"
    assert raised.value.code == "abstained"
    assert isinstance(raised.value, InferenceError)
    assert FINDINGS not in str(raised.value)


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"text_inputs": "  "}', b'{"inputs": "x", "parameters": 3}']
)
def test_an_unreadable_request_is_an_inference_error_and_the_engine_is_not_called(body: bytes) -> None:
    engine = EchoEngine()
    with pytest.raises(InferenceError) as raised:
        handle_invocation(body, engine, contract="jumpstart-v1")
    assert not isinstance(raised.value, EngineAbstainedError)
    assert engine.seen == []


def test_the_embedded_retrieval_engine_is_served_the_same_way() -> None:
    from radimpress.drafting.engines import build_engine

    engine = build_engine("retrieval")
    response = handle_invocation(
        build_request(build_prompt(FINDINGS), "jumpstart-v1"), engine, contract="jumpstart-v1"
    )
    assert parse_response(response) == engine.draft(FINDINGS).text


# ---------------------------------------------------------------- the transformers engine, end to end


SHORT = GenerationSettings(max_length=16, num_beams=4)  # the engine's own default here, for speed


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory: pytest.TempPathFactory) -> Seq2SeqEngine:
    require_transformers()
    checkpoint = save_tiny_t5(tmp_path_factory.mktemp("ckpt") / "tiny-flan-t5")
    return Seq2SeqEngine.from_pretrained(checkpoint, device="cpu", threads=1, settings=SHORT)


@pytest.fixture(scope="module")
def study_text(seq2seq: Seq2SeqEngine) -> str:
    """What the tiny T5 generates for FINDINGS in the study's prompt, with the study's decoding."""
    return seq2seq.complete([build_prompt(FINDINGS)], GenerationSettings())[0][0].strip()


@pytest.mark.parametrize("contract", MODEL_CONTRACTS)
def test_the_seq2seq_engine_answers_both_contracts(
    seq2seq: Seq2SeqEngine, study_text: str, contract: ModelContract
) -> None:
    # Given the study's request for some findings, in the contract the endpoint is configured with
    body = build_request(build_prompt(FINDINGS), contract)

    # When the tiny T5 serves it
    response = handle_invocation(body, seq2seq, contract=contract)

    # Then the completion side reads the text generated with the request's (the study's) decoding
    assert isinstance(seq2seq, PromptCompleter)
    assert study_text
    assert parse_response(response) == study_text


def test_the_seq2seq_engine_follows_the_request_settings(seq2seq: Seq2SeqEngine) -> None:
    # Given requests asking for short outputs and, in jumpstart-v1, two sequences
    prompt = build_prompt(FINDINGS)
    two = GenerationSettings(max_length=6, num_beams=3, num_return_sequences=2)

    # When served
    jumpstart = json.loads(
        handle_invocation(build_request(prompt, "jumpstart-v1", two), seq2seq, contract="jumpstart-v1")
    )
    tgi = handle_invocation(
        build_request(prompt, "tgi", GenerationSettings(max_length=6, num_beams=3)), seq2seq, contract="tgi"
    )

    # Then the texts are those generated with exactly those settings, the prompt given verbatim
    assert jumpstart == {"generated_texts": seq2seq.complete([prompt], two)[0]}
    assert len(jumpstart["generated_texts"]) == 2
    assert (
        parse_response(tgi)
        == seq2seq.complete([prompt], GenerationSettings(max_length=6, num_beams=3))[0][0].strip()
    )


def test_a_prompt_not_built_from_the_template_reaches_the_model_verbatim(seq2seq: Seq2SeqEngine) -> None:
    prompt = "Summarize: " + FINDINGS
    settings = GenerationSettings(max_length=10, num_beams=2)
    response = handle_invocation(
        build_request(prompt, "tgi", settings), seq2seq, contract="tgi", template=STUDY_PROMPT
    )
    assert json.loads(response) == [{"generated_text": seq2seq.complete([prompt], settings)[0][0]}]


def test_tgi_answers_one_text_even_when_more_were_generated(seq2seq: Seq2SeqEngine) -> None:
    body = build_request(
        build_prompt(FINDINGS),
        "jumpstart-v1",
        GenerationSettings(max_length=6, num_beams=3, num_return_sequences=2),
    )
    assert len(json.loads(handle_invocation(body, seq2seq, contract="tgi"))) == 1


# ---------------------------------------------------------------- behind the local async endpoint


class _NoSuchKeyError(Exception):
    pass


@dataclass
class _Body:
    data: bytes

    def read(self) -> bytes:
        return self.data


@dataclass
class InMemoryS3:
    """The three calls of a boto3 S3 client that the local endpoint makes."""

    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)

    class exceptions:
        NoSuchKey = _NoSuchKeyError

    def get_object(self, *, Bucket: str, Key: str) -> dict[str, _Body]:
        if (Bucket, Key) not in self.objects:
            raise _NoSuchKeyError(Key)
        return {"Body": _Body(self.objects[Bucket, Key])}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        self.objects[Bucket, Key] = Body


@dataclass
class InMemorySns:
    published: list[dict[str, object]] = field(default_factory=list)

    def publish_batch(self, *, TopicArn: str, PublishBatchRequestEntries: list[dict[str, str]]) -> None:
        self.published += [json.loads(entry["Message"]) for entry in PublishBatchRequestEntries]


def test_the_local_async_endpoint_serves_the_seq2seq_engine(seq2seq: Seq2SeqEngine) -> None:
    from radimpress.local.endpoint import AsyncEndpointConfig, LocalAsyncEndpoint

    # Given the ingest function's request in S3, and the local endpoint serving the tiny T5
    s3, sns = InMemoryS3(), InMemorySns()
    s3.objects["data", "requests/r1.json"] = build_request(build_prompt(FINDINGS), "jumpstart-v1")
    config = AsyncEndpointConfig(
        endpoint_name="onprem",
        s3_output_path="s3://data/async-out",
        s3_failure_path="s3://data/async-failures",
        success_topic_arn="arn:aws:sns:us-east-1:123456789012:success",
        error_topic_arn="arn:aws:sns:us-east-1:123456789012:error",
        region="us-east-1",
        max_concurrent_invocations=2,
    )

    # When InvokeEndpointAsync is accepted and the endpoint's workers run it
    with LocalAsyncEndpoint(config, seq2seq, s3=s3, sns=sns) as endpoint:
        status, _headers, accepted = endpoint.accept(
            "onprem", {"x-amzn-sagemaker-inputlocation": "s3://data/requests/r1.json"}
        )
        assert endpoint.wait_idle(60)

    # Then the output the completion function reads is what the one serving contract gives for that
    # request (the request's own decoding settings), and success was notified
    assert status == 202
    output = s3.objects["data", str(accepted["OutputLocation"]).removeprefix("s3://data/")]
    request = s3.objects["data", "requests/r1.json"]
    assert output == handle_invocation(request, seq2seq, contract="jumpstart-v1")
    assert parse_response(output)
    assert [notice["invocationStatus"] for notice in sns.published] == ["Completed"]
