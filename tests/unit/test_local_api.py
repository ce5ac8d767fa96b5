"""The local REST API stand-in: requests in as API Gateway proxy events, handler responses out as HTTP."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from radimpress.local.api import LocalRestApi, Route, proxy_event
from radimpress.local.poller import FunctionSpec

FUNCTION = FunctionSpec(name="fn", arn="arn:aws:lambda:us-east-1:123456789012:function:fn", timeout_seconds=5)


def post(url: str, data: bytes, content_type: str) -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


@pytest.fixture
def api() -> Iterator[tuple[LocalRestApi, list[dict[str, Any]]]]:
    events: list[dict[str, Any]] = []

    def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        assert context.function_name == "fn" and context.get_remaining_time_in_millis() > 0
        headers = {"Content-Type": "text/x-echo"}
        if event["isBase64Encoded"]:  # reversed bytes back, base64-encoded as a binary response is
            reversed_body = base64.b64encode(base64.b64decode(event["body"])[::-1]).decode()
            return {"statusCode": 201, "headers": headers, "body": reversed_body, "isBase64Encoded": True}
        return {"statusCode": 201, "headers": headers, "body": event["body"][::-1]}

    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    local = LocalRestApi(
        [Route("POST", "/messages", echo, FUNCTION), Route("POST", "/broken", broken, FUNCTION)],
        stage="v1",
        binary_media_types=["application/*"],
    ).start()
    yield local, events
    local.stop()


def test_a_binary_body_reaches_the_handler_base64_encoded_and_its_response_comes_back(
    api: tuple[LocalRestApi, list[dict[str, Any]]],
) -> None:
    local, events = api
    status, body, content_type = post(f"{local.url}/messages", b"MSH|abc\xe9", "application/hl7-v2")
    (event,) = events
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"MSH|abc\xe9"
    assert (event["httpMethod"], event["path"]) == ("POST", "/messages")
    assert event["requestContext"]["stage"] == "v1"
    assert (status, content_type, body) == (201, "text/x-echo", b"\xe9cba|HSM")


def test_a_text_body_arrives_as_text(api: tuple[LocalRestApi, list[dict[str, Any]]]) -> None:
    local, events = api
    status, body, _ = post(f"{local.url}/messages", b"MSH|plain", "text/plain")
    assert events[0]["isBase64Encoded"] is False and events[0]["body"] == "MSH|plain"
    assert (status, body) == (201, b"nialp|HSM")


def test_an_unknown_route_is_403_and_a_failing_handler_502_as_api_gateway_answers(
    api: tuple[LocalRestApi, list[dict[str, Any]]],
) -> None:
    local, events = api
    assert post(f"{local.url}/elsewhere", b"x", "text/plain")[0] == 403
    assert post(f"{local.url}/broken", b"x", "text/plain")[0] == 502
    assert events == []


def test_binary_media_types_use_cloudformations_escaped_slash() -> None:
    text = {"Content-Type": "text/plain"}
    event = proxy_event("POST", "/m", text, b"hi", stage="v1", binary_media_types=["*~1*"])
    assert event["isBase64Encoded"] is True and event["body"] == "aGk="
    empty = proxy_event("POST", "/m", {}, b"", stage="v1", binary_media_types=["*~1*"])
    assert empty["body"] is None and empty["isBase64Encoded"] is False
