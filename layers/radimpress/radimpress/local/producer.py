"""The producer side of the IngestQueue: what an interface engine's SQS sender does with each payload.

SQS bodies are text restricted to XML's character set, so a payload goes:

* as it is, when it is UTF-8 text of allowed characters (most HL7 v2 and plain-text reports);
* base64-encoded with the message attribute ``content-encoding`` = ``base64`` otherwise (MLLP framing bytes
  ``0x0B``/``0x1C``, Latin-1 or cp1252 bytes, binary sent by mistake);
* as a claim check when the body would exceed SQS's 256 KB: the (encoded) body is put under
  ``inbound/<sha256>`` in the bucket and the message carries the Amazon SQS Extended Client's pointer
  ``["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName", "s3Key"}]``.

Messages go out with ``SendMessageBatch`` (up to 10 entries, 256 KB in all), except every ``https_every``-th
payload, which is POSTed to the HTTPS entry point (``https_url``) as an interface engine's HTTP sender
would: the function behind it queues the message and answers with an HL7 ACK (AE is retried, twice).

The producer keeps at most ``max_queued`` messages waiting in the queue: moto's ``ReceiveMessage`` and
``GetQueueAttributes`` scan the whole queue on every call, so a queue holding the entire feed would make the
embedded SQS, not the pipeline, the bottleneck. Real SQS needs no such pacing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from radimpress.datasets.samplefeed.feed import FeedItem
from radimpress.transports.inbound import EXTENDED_CLIENT_POINTER, SQS_BODY_LIMIT, sqs_text

__all__ = ["EXTENDED_CLIENT_POINTER", "Encoded", "Producer", "Sent", "encode_payload"]

_BATCH_BYTES = 240 * 1024  # SendMessageBatch's 256 KB covers every entry and attribute: keep a margin
_BATCH_ENTRIES = 10
_DEPTH_EVERY = 1.0  # seconds between GetQueueAttributes calls while the producer waits for room


@dataclass(frozen=True)
class Encoded:
    """One SQS message as the producer sends it."""

    body: str
    attributes: dict[str, dict[str, str]]
    encoding: str  # "text", "base64", or "claim-check" (+ the claimed body's own encoding)
    claimed: tuple[str, bytes] | None = None  # (key, object) to put in the bucket first


def encode_payload(payload: bytes, *, bucket: str, claim_check_over: int = SQS_BODY_LIMIT) -> Encoded:
    """How a producer sends ``payload`` (see the module docstring)."""
    text = sqs_text(payload)
    attributes: dict[str, dict[str, str]] = {}
    encoding = "text"
    if text is None:
        text = base64.b64encode(payload).decode("ascii")
        attributes["content-encoding"] = {"DataType": "String", "StringValue": "base64"}
        encoding = "base64"
    if len(text.encode("utf-8")) <= claim_check_over:
        return Encoded(text, attributes, encoding)
    key = f"inbound/{hashlib.sha256(payload).hexdigest()}"
    pointer = json.dumps([EXTENDED_CLIENT_POINTER, {"s3BucketName": bucket, "s3Key": key}])
    size = {"DataType": "Number", "StringValue": str(len(text.encode("utf-8")))}
    return Encoded(
        pointer,
        {**attributes, "ExtendedPayloadSize": size},
        f"claim-check+{encoding}",
        (key, text.encode("utf-8")),
    )


@dataclass
class Sent:
    """What went into the queue."""

    messages: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_encoding: Counter[str] = field(default_factory=Counter)
    #: outcome units: one per report message in a payload, one per payload that holds no readable report
    units: int = 0
    #: units of payloads byte-for-byte identical to one sent before: a redelivery, or a text report whose
    #: words repeat an earlier one's (text has no control id, so the same bytes are the same report)
    duplicate_units: int = 0
    identical_reports: int = 0  # of those, the payloads the feed did not send as redeliveries
    malformed: int = 0
    #: payloads SQS cannot take, by reason (an empty payload: SQS needs at least one character); not "in"
    refused: Counter[str] = field(default_factory=Counter)
    #: the HL7 ACK codes (MSA-1) the HTTPS entry point answered, per POST that got one
    https_answers: Counter[str] = field(default_factory=Counter)
    mllp_answers: Counter[str] = field(default_factory=Counter)
    #: sha256 of each body sent -> its units (to count what ends in the DLQ in units)
    body_units: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def units_of(item: FeedItem) -> int:
    """How many outcomes (result, error record, deduplicated) one payload should give."""
    return max(1, len(item.expected))


class Producer:
    """Sends feed items to the ingest queue (see the module docstring)."""

    def __init__(
        self,
        sqs: Any,
        s3: Any,
        *,
        queue_url: str,
        bucket: str,
        claim_check_over: int = SQS_BODY_LIMIT,
        max_queued: int = 50,
        consumed: Callable[[], int] = lambda: 0,
        https_url: str | None = None,
        https_every: int = 0,
        mllp: Callable[[bytes], str] | None = None,
        mllp_every: int = 0,
    ) -> None:
        self.sqs = sqs
        self.s3 = s3
        self.queue_url = queue_url
        self.bucket = bucket
        self.claim_check_over = claim_check_over
        self.max_queued = max_queued
        self.consumed = consumed
        if https_url is not None and not https_url.startswith(("http://", "https://")):
            raise ValueError("https_url must be an http(s) URL")
        self.https_url = https_url
        self.https_every = https_every if https_url else 0
        # a report payload sent over MLLP instead: mllp(payload) returns the listener's ACK code
        self.mllp = mllp
        self.mllp_every = mllp_every if mllp else 0
        self.sent = Sent()
        self._seen: set[bytes] = set()

    def _depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def _wait_for_room(self, needed: int) -> None:
        """Block while the queue would hold more than ``max_queued`` messages. The consumer's count of what
        it acknowledged is free to read; the queue's own count (which also sees messages moved to the DLQ)
        costs moto a scan of the queue, so it is asked at most every ``_DEPTH_EVERY`` seconds."""
        next_depth_check = 0.0
        while self.sent.messages - self.consumed() + needed > self.max_queued:
            now = time.monotonic()
            if now >= next_depth_check:
                if self._depth() + needed <= self.max_queued:
                    return
                next_depth_check = now + _DEPTH_EVERY
            time.sleep(0.02)

    def _flush(self, entries: list[dict[str, Any]]) -> None:
        if not entries:
            return
        self._wait_for_room(len(entries))
        response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
        if response.get("Failed"):
            codes = ", ".join(sorted({str(f.get("Code")) for f in response["Failed"]}))
            raise RuntimeError(f"SendMessageBatch refused {len(response['Failed'])} messages: {codes}")
        self.sent.messages += len(entries)

    def _post(self, payload: bytes) -> str:
        """POST one payload to the HTTPS entry point; the ACK code it answered (AE: retried twice)."""
        if self.https_url is None:
            raise RuntimeError("no HTTPS entry point to post to")
        code = "AE"
        for _ in range(3):
            self._wait_for_room(1)
            request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked in __init__
                self.https_url, data=payload, method="POST", headers={"Content-Type": "application/hl7-v2"}
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - as above
                    answer = response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as error:
                answer = error.read().decode("utf-8", "replace")
            msa = next((s for s in answer.split("\r") if s.startswith("MSA|")), "MSA|").split("|")
            code = msa[1]
            self.sent.https_answers[code or "none"] += 1
            if code in ("AA", "AR"):
                self.sent.messages += 1  # it is in the queue
                return code
        raise RuntimeError(f"the HTTPS entry point did not take a message: {code or 'no ACK'}")

    def _send_mllp(self, payload: bytes) -> None:
        if self.mllp is None:
            raise RuntimeError("no MLLP listener to send to")
        self._wait_for_room(1)
        code = self.mllp(payload)
        self.sent.mllp_answers[code] += 1
        if code not in ("AA", "AR"):
            raise RuntimeError(f"the MLLP listener did not take a message: {code}")
        self.sent.messages += 1

    def send(self, items: Iterable[FeedItem]) -> Sent:
        """Send every item, in order, in batches (or over HTTPS); returns (and keeps) the totals."""
        started = time.perf_counter()
        entries: list[dict[str, Any]] = []
        size = 0
        for index, item in enumerate(items):
            encoded = encode_payload(item.payload, bucket=self.bucket, claim_check_over=self.claim_check_over)
            if not encoded.body:
                self.sent.refused["empty body"] += 1  # SendMessage needs at least one character
                continue
            if self.https_every and index % self.https_every == self.https_every - 1:
                self._post(item.payload)
                self._count(item, "https", None)
                continue
            # reports only: the listener answers other message types AR without queueing them (by design),
            # and the demo's count of what went in must still balance
            if self.mllp_every and item.kind == "report" and index % self.mllp_every == self.mllp_every // 2:
                self._send_mllp(item.payload)
                self._count(item, "mllp", None)
                continue
            if encoded.claimed is not None:
                key, data = encoded.claimed
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            entry: dict[str, Any] = {"Id": str(len(entries)), "MessageBody": encoded.body}
            if encoded.attributes:
                entry["MessageAttributes"] = encoded.attributes
            entry_size = len(encoded.body.encode("utf-8")) + 200 * len(encoded.attributes)
            if entries and (len(entries) == _BATCH_ENTRIES or size + entry_size > _BATCH_BYTES):
                self._flush(entries)
                entries, size = [], 0
                entry["Id"] = "0"
            entries.append(entry)
            size += entry_size
            self._count(item, encoded.encoding, encoded.body)
        self._flush(entries)
        self.sent.seconds = time.perf_counter() - started
        return self.sent

    def _count(self, item: FeedItem, encoding: str, body: str | None) -> None:
        units = units_of(item)
        if body is not None:  # an HTTPS or MLLP message's queue body is the entry point's: not known here
            self.sent.body_units[hashlib.sha256(body.encode("utf-8")).hexdigest()] = units
        self.sent.by_kind[item.kind] += 1
        self.sent.by_encoding[encoding] += 1
        self.sent.units += units
        payload_digest = hashlib.sha256(item.payload).digest()
        if payload_digest in self._seen:
            self.sent.duplicate_units += units
            self.sent.identical_reports += item.kind != "duplicate"
        self._seen.add(payload_digest)
        self.sent.malformed += item.kind == "malformed"
