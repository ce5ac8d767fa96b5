"""SQS body + message attributes -> raw payload bytes: encodings and claim checks."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from radimpress.errors import EncodingError, UnreadableMessageError
from radimpress.transports.inbound import resolve
from tests.conftest import load_event
from tests.fakes import InMemoryObjectStore

LATIN1 = load_event("feed/13-latin1.hl7")
MLLP = load_event("feed/10-mllp.mllp")


def test_a_plain_text_body_is_its_utf8_bytes() -> None:
    # Given an HL7 body sent as text / When resolved / Then the bytes are the body's UTF-8
    body = load_event("feed/01-loinc_tx.hl7").decode("utf-8")
    assert resolve(body, {}, InMemoryObjectStore()) == body.encode("utf-8")


def test_base64_content_encoding_gives_back_latin1_bytes_unchanged() -> None:
    # Given a Latin-1 HL7 message a producer had to base64-encode
    body = base64.b64encode(LATIN1).decode("ascii")
    # When resolved with the content-encoding attribute (any case of the name, any whitespace in the body)
    raw = resolve(body[:40] + "\n" + body[40:], {"Content-Encoding": "base64"}, InMemoryObjectStore())
    # Then the exact original bytes come back
    assert raw == LATIN1


def test_gzip_content_encoding_inflates_mllp_framed_bytes() -> None:
    # Given an MLLP-framed message (0x0B / 0x1C bytes) gzipped then base64-encoded
    body = base64.b64encode(gzip.compress(MLLP)).decode("ascii")
    # When resolved / Then the framed bytes come back
    assert resolve(body, {"content-encoding": "gzip"}, InMemoryObjectStore()) == MLLP


def test_concatenated_gzip_members_are_all_inflated() -> None:
    body = base64.b64encode(gzip.compress(b"MSH|first") + gzip.compress(b"|second")).decode()
    assert resolve(body, {"content-encoding": "gzip"}, InMemoryObjectStore()) == b"MSH|first|second"


@pytest.mark.parametrize(
    ("encoding", "body", "where"),
    [
        ("base64", "TVNI***not base64***", "content-encoding"),
        ("gzip", base64.b64encode(b"not gzip at all").decode(), "content-encoding"),
        ("gzip", base64.b64encode(gzip.compress(b"MSH|...")[:-6]).decode(), "content-encoding"),
        ("x-compress", "abc", "content-encoding"),
    ],
    ids=["bad-base64", "not-gzip", "truncated-gzip", "unknown-encoding"],
)
def test_a_body_that_does_not_decode_is_an_encoding_error(encoding: str, body: str, where: str) -> None:
    # Given a body that does not match its declared content encoding
    # When resolved / Then a permanent EncodingError says where
    with pytest.raises(EncodingError) as caught:
        resolve(body, {"content-encoding": encoding}, InMemoryObjectStore())
    assert caught.value.where == where


def test_json_claim_check_reads_the_payload_from_s3() -> None:
    # Given a large payload put in the producer's bucket and a claim-check body
    store = InMemoryObjectStore()
    store.objects[("producer-bucket", "inbound/big.hl7")] = (LATIN1, "application/octet-stream")
    body = json.dumps({"s3_claim_check": {"bucket": "producer-bucket", "key": "inbound/big.hl7"}})
    # When resolved / Then the object's bytes are the payload
    assert resolve(body, {}, store) == LATIN1


def test_claim_check_attribute_and_encoding_apply_to_the_object() -> None:
    # Given a claimed object that is itself base64 text (what an extended client offloads)
    store = InMemoryObjectStore()
    store.objects[(store.bucket, "inbound/b64.txt")] = (base64.b64encode(MLLP), "text/plain")
    attributes = {
        "claim-check": f"s3://{store.bucket}/inbound/b64.txt",
        "content-encoding": "base64",
    }
    # When resolved / Then the decoded object is the payload (the body is ignored)
    assert resolve("ignored", attributes, store) == MLLP


def test_extended_client_pointer_body_is_a_claim_check() -> None:
    store = InMemoryObjectStore()
    store.objects[("ext-bucket", "abc-123")] = (b"MSH|^~\\&|...", "application/octet-stream")
    body = json.dumps(
        [
            "software.amazon.payloadoffloading.PayloadS3Pointer",
            {"s3BucketName": "ext-bucket", "s3Key": "abc-123"},
        ]
    )
    assert resolve(body, {}, store) == b"MSH|^~\\&|..."


@pytest.mark.parametrize(
    ("body", "attributes"),
    [
        (json.dumps({"s3_claim_check": {"bucket": "b", "key": "missing"}}), {}),
        (json.dumps({"s3_claim_check": {"bucket": "b"}}), {}),
        ("x", {"claim-check": "https://example.org/object"}),
    ],
    ids=["missing-object", "no-key", "not-s3-uri"],
)
def test_a_claim_check_that_points_nowhere_is_unreadable(
    body: str, attributes: dict[str, str | None]
) -> None:
    with pytest.raises(UnreadableMessageError) as caught:
        resolve(body, attributes, InMemoryObjectStore())
    assert caught.value.where == "claim-check"


def test_other_json_bodies_are_text() -> None:
    # Given a text body that happens to be JSON but no claim check
    body = json.dumps({"report": "FINDINGS: clear lungs"})
    # When resolved / Then it is taken as text
    assert resolve(body, {}, InMemoryObjectStore()) == body.encode()
    assert resolve("[1, 2", {}, InMemoryObjectStore()) == b"[1, 2"
