"""The JumpStart serving contracts: request and response bodies in both shapes, and typed failures."""

from __future__ import annotations

import json

import pytest

from radimpress.drafting.engines.contract import (
    CONTENT_TYPE,
    MODEL_CONTRACTS,
    GenerationSettings,
    ModelContract,
    build_request,
    parse_contract,
    parse_request,
    parse_response,
    render_response,
)
from radimpress.errors import BadModelOutputError, ConfigurationError, InferenceError, RadimpressError

PROMPT = "Generate radiology report impressions based on the following findings. Findings: Lungs clear."


def test_the_errors_are_typed_with_stable_codes() -> None:
    assert issubclass(BadModelOutputError, InferenceError)
    assert issubclass(InferenceError, RadimpressError)
    assert InferenceError.code == "inference_failed"
    assert BadModelOutputError.code == "bad_model_output"


def test_jumpstart_v1_request_carries_the_study_decoding_settings() -> None:
    # Given the default settings, When a jumpstart-v1 request is built
    body = build_request(PROMPT, "jumpstart-v1")

    # Then it is exactly the text2text contract with the study's settings
    assert json.loads(body) == {
        "text_inputs": PROMPT,
        "max_length": 80,
        "num_beams": 10,
        "num_return_sequences": 1,
    }
    assert CONTENT_TYPE == "application/json"


def test_tgi_request_maps_the_same_settings_to_its_parameters() -> None:
    body = build_request(PROMPT, "tgi")
    assert json.loads(body) == {
        "inputs": PROMPT,
        "parameters": {"max_new_tokens": 80, "num_beams": 10, "do_sample": False},
    }


def test_a_request_is_ascii_json_even_for_non_ascii_findings() -> None:
    body = build_request("Befund: Lunge unauffällig, Herz normal groß.", "jumpstart-v1")
    assert body.isascii()
    assert parse_request(body)[0] == "Befund: Lunge unauffällig, Herz normal groß."


@pytest.mark.parametrize("contract", MODEL_CONTRACTS)
def test_requests_round_trip_in_both_contracts(contract: ModelContract) -> None:
    # Given non-default settings
    settings = GenerationSettings(max_length=120, num_beams=4, num_return_sequences=1)

    # When a request is built and read back (as the local endpoint does)
    prompt, parsed = parse_request(build_request(PROMPT, contract, settings))

    # Then prompt and settings survive
    assert (prompt, parsed) == (PROMPT, settings)


def test_jumpstart_v1_round_trips_several_return_sequences() -> None:
    settings = GenerationSettings(num_return_sequences=3)
    assert parse_request(build_request(PROMPT, "jumpstart-v1", settings)) == (PROMPT, settings)


def test_tgi_cannot_ask_for_several_texts() -> None:
    with pytest.raises(ConfigurationError, match="one text"):
        build_request(PROMPT, "tgi", GenerationSettings(num_return_sequences=2))


@pytest.mark.parametrize(
    "body",
    [
        b'{"text_inputs": "Lungs clear."}',
        b'{"inputs": "Lungs clear."}',
        b'{"inputs": "Lungs clear.", "parameters": {"temperature": 0.2}}',
        b'{"text_inputs": "Lungs clear.", "top_p": 0.9}',
    ],
)
def test_missing_settings_are_the_studys_and_unknown_keys_are_ignored(body: bytes) -> None:
    assert parse_request(body) == ("Lungs clear.", GenerationSettings())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe{",
        b"[]",
        b'"Lungs clear."',
        b'{"prompt": "Lungs clear."}',
        b'{"text_inputs": ["Lungs clear."]}',
        b'{"text_inputs": "   "}',
        b'{"text_inputs": 3}',
        b'{"text_inputs": "Lungs clear.", "max_length": 0}',
        b'{"text_inputs": "Lungs clear.", "num_beams": true}',
        b'{"text_inputs": "Lungs clear.", "num_beams": "10"}',
        b'{"text_inputs": "Lungs clear.", "num_beams": 2, "num_return_sequences": 3}',
        b'{"inputs": "Lungs clear.", "parameters": ["max_new_tokens", 80]}',
        b'{"inputs": "Lungs clear.", "parameters": {"max_new_tokens": -1}}',
    ],
)
def test_a_request_the_model_side_cannot_read_is_an_inference_error(body: bytes) -> None:
    with pytest.raises(InferenceError) as caught:
        parse_request(body)
    assert type(caught.value) is InferenceError
    assert caught.value.code == "inference_failed"


@pytest.mark.parametrize("contract", MODEL_CONTRACTS)
def test_responses_round_trip_in_both_contracts(contract: ModelContract) -> None:
    # Given a generated impression with the whitespace models leave around it
    body = render_response(["  No acute cardiopulmonary abnormality.\n"], contract)

    # When the completion side parses it, Then it gets the text, stripped
    assert parse_response(body) == "No acute cardiopulmonary abnormality."


def test_rendered_responses_have_the_documented_shapes() -> None:
    assert json.loads(render_response(["a", "b"], "jumpstart-v1")) == {"generated_texts": ["a", "b"]}
    assert json.loads(render_response(["a"], "tgi")) == [{"generated_text": "a"}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"generated_texts": ["first", "second"]}', "first"),
        (b'[{"generated_text": " tgi "}, {"generated_text": "other"}]', "tgi"),
        (b'{"generated_text": "newer JumpStart"}', "newer JumpStart"),
        (b'{"generated_texts": ["x"], "details": {"tokens": 1}}', "x"),
    ],
)
def test_parse_response_accepts_the_three_shapes_and_takes_the_first_text(body: bytes, expected: str) -> None:
    assert parse_response(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"<html>502 Bad Gateway</html>",
        b"null",
        b'"a bare string"',
        b"{}",
        b"[]",
        b"[1]",
        b'{"generated_texts": []}',
        b'{"generated_texts": "not a list"}',
        b'{"generated_texts": [""]}',
        b'{"generated_texts": [42]}',
        b'{"generated_text": null}',
        b'[{"generated_text": "   \\n "}]',
        b'[{"text": "wrong key"}]',
        b'{"error": "Input validation error", "error_type": "validation"}',
    ],
)
def test_a_response_without_usable_text_is_bad_model_output(body: bytes) -> None:
    with pytest.raises(BadModelOutputError) as caught:
        parse_response(body)
    assert caught.value.code == "bad_model_output"


def test_error_messages_name_the_shape_never_the_text() -> None:
    # Given a malformed response whose values carry report text
    body = json.dumps({"generated_text": ["ZZTEST-ALDER has no effusion"], "echo": "SYN0000001"}).encode()

    # When it is rejected, Then the message describes keys and types only
    with pytest.raises(BadModelOutputError) as caught:
        parse_response(body)
    message = str(caught.value)
    assert "ZZTEST" not in message
    assert "SYN0000001" not in message
    assert "generated_text" in message


def test_parse_contract_reads_the_environment_value() -> None:
    assert parse_contract("jumpstart-v1") == "jumpstart-v1"
    assert parse_contract("tgi") == "tgi"
    with pytest.raises(ConfigurationError, match="unknown model contract"):
        parse_contract("openai")


@pytest.mark.parametrize(
    "changes",
    [
        {"max_length": 0},
        {"num_beams": -1},
        {"num_return_sequences": 0},
        {"num_beams": 1, "num_return_sequences": 2},
    ],
)
def test_invalid_generation_settings_are_a_configuration_error(changes: dict[str, int]) -> None:
    with pytest.raises(ConfigurationError):
        GenerationSettings(**changes)
