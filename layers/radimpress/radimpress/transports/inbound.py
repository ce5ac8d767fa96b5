"""From one SQS record (body and message attributes) to the raw bytes of what the producer sent.

SQS bodies are text restricted to XML's character set, so a producer sends anything else (MLLP framing
bytes, Latin-1 HL7) encoded, and says so in the ``content-encoding`` message attribute:

* ``base64``: the body is the base64 of the payload;
* ``gzip``: the body is the base64 of the gzip of the payload.

Payloads over SQS's 256 KB limit arrive as a claim check, and the payload is read from S3 through the
:class:`~radimpress.ports.ObjectStore` port. Three spellings are honoured:

* a JSON body ``{"s3_claim_check": {"bucket": "...", "key": "..."}}``;
* a ``claim-check`` message attribute ``s3://bucket/key`` (the body is then ignored);
* the Amazon SQS Extended Client's pointer body ``["...PayloadS3Pointer", {"s3BucketName", "s3Key"}]``.

A claimed object is the payload as the producer would otherwise have put it in the body, so
``content-encoding`` applies to it too. Everything else is a text body, UTF-8 encoded as it arrived.
Attribute names are matched case-insensitively. Pure apart from the claim-check read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from radimpress.errors import EncodingError, UnreadableMessageError
from radimpress.ports import ObjectNotFoundError, ObjectStore, split_s3_uri

__all__ = [
    "CLAIM_CHECK_ATTRIBUTE",
    "CONTENT_ENCODING_ATTRIBUTE",
    "EXTENDED_CLIENT_POINTER",
    "SQS_BODY_LIMIT",
    "ClaimCheck",
    "resolve",
    "sqs_text",
]

CONTENT_ENCODING_ATTRIBUTE = "content-encoding"
CLAIM_CHECK_ATTRIBUTE = "claim-check"
EXTENDED_CLIENT_POINTER = "software.amazon.payloadoffloading.PayloadS3Pointer"
SQS_BODY_LIMIT = 256 * 1024
_NOT_SQS_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_INFLATED = 64 * 1024 * 1024  # a gzip bomb stops here rather than exhausting the function's memory


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """Where a payload too large for SQS was put."""

    bucket: str
    key: str


def sqs_text(payload: bytes) -> str | None:
    """``payload`` as an SQS body when it is UTF-8 text of characters SQS accepts; ``None`` otherwise (the
    producer then sends it base64-encoded, with ``content-encoding: base64``)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _NOT_SQS_TEXT.search(text) else text


def resolve(body: str, attributes: Mapping[str, str | None], store: ObjectStore) -> bytes:
    """The payload's bytes, given the body and the message attributes' string values by name.
    EncodingError for a bad or unknown content encoding; UnreadableMessageError for a claim check that
    points nowhere."""
    values = {name.lower(): value for name, value in attributes.items()}
    claim = _claim_check(body, values.get(CLAIM_CHECK_ATTRIBUTE))
    payload = _fetch(claim, store) if claim is not None else body.encode("utf-8")
    return _decode(payload, (values.get(CONTENT_ENCODING_ATTRIBUTE) or "").strip().lower())


def _claim_check(body: str, attribute: str | None) -> ClaimCheck | None:
    if attribute:
        try:
            return ClaimCheck(*split_s3_uri(attribute.strip()))
        except ValueError:
            raise UnreadableMessageError(
                "claim-check attribute is not an s3:// URI", where="claim-check"
            ) from None
    stripped = body.lstrip()
    if not stripped.startswith(("{", "[")):
        return None  # HL7 starts with MSH / FHS / BHS or an MLLP byte, a text report with a word
    try:
        document = json.loads(stripped)
    except ValueError:
        return None
    return _pointer(document)


def _pointer(document: object) -> ClaimCheck | None:
    if isinstance(document, dict) and set(document) == {"s3_claim_check"}:
        target = document["s3_claim_check"]
        bucket, key = (target.get("bucket"), target.get("key")) if isinstance(target, dict) else (None, None)
    elif isinstance(document, list) and len(document) == 2 and document[0] == EXTENDED_CLIENT_POINTER:
        target = document[1]
        bucket, key = (
            (target.get("s3BucketName"), target.get("s3Key")) if isinstance(target, dict) else (None, None)
        )
    else:
        return None
    if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
        raise UnreadableMessageError("claim check without bucket and key", where="claim-check")
    return ClaimCheck(bucket, key)


def _fetch(claim: ClaimCheck, store: ObjectStore) -> bytes:
    try:
        return store.get(claim.key, bucket=claim.bucket)
    except ObjectNotFoundError:
        raise UnreadableMessageError("claim-check object does not exist", where="claim-check") from None


def _decode(payload: bytes, encoding: str) -> bytes:
    if encoding in {"", "identity", "text", "utf-8"}:
        return payload
    if encoding not in {"base64", "gzip"}:
        raise EncodingError(f"unsupported content-encoding {encoding!r}", where=CONTENT_ENCODING_ATTRIBUTE)
    try:
        decoded = base64.b64decode(b"".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        raise EncodingError("body is not valid base64", where=CONTENT_ENCODING_ATTRIBUTE) from None
    if encoding == "base64":
        return decoded
    return _gunzip(decoded)


def _gunzip(data: bytes) -> bytes:
    """Every gzip member of ``data``, inflated, up to :data:`_MAX_INFLATED` bytes in all."""
    members: list[bytes] = []
    budget = _MAX_INFLATED
    while True:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            inflated = inflater.decompress(data, budget)
        except zlib.error:
            raise EncodingError("body is not valid gzip", where=CONTENT_ENCODING_ATTRIBUTE) from None
        budget -= len(inflated)
        if inflater.unconsumed_tail or (budget <= 0 and inflater.unused_data):
            raise EncodingError("gzip payload inflates beyond 64 MiB", where=CONTENT_ENCODING_ATTRIBUTE)
        if not inflater.eof:
            raise EncodingError("gzip payload is truncated", where=CONTENT_ENCODING_ATTRIBUTE)
        members.append(inflated)
        data = inflater.unused_data
        if not data:
            return b"".join(members)
