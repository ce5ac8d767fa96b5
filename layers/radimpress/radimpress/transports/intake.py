"""One inbound message onto the ingest queue, whatever transport brought it, and the HL7 answer to send back.

Interface engines deliver results over MLLP (:mod:`radimpress.transports.mllp`) or HTTPS
(``HttpsIngestFunction``
behind API Gateway) and wait for an HL7 ACK. Both hand each message to :meth:`Intake.accept`, which puts
it on the ingest queue exactly as a producer would (text when SQS can carry it, else base64 with
``content-encoding: base64``; over 256 KB as a claim check on ``inbound/<sha256>`` in the bucket) and only
then answers:

* **AA** once the message is in the queue (a commit acknowledgement: from there the pipeline archives it
  and drafts it or records its error; nothing is lost);
* **AR** when the pipeline can never read it, by the ingest function's own first test: HL7 v2 without a
  readable MSH, or a payload that is not HL7 and not text either (binary, blank). It is queued all the
  same, so it is archived and shows up as an error record, but the sender learns at once that it was
  refused and should not resend it. A plain-text report is readable: it is answered AA;
* **AR**, and nothing queued, for a message type the pipeline never drafts (``refused_types``, by MSH-9.1:
  ADT, orders, scheduling...): such feeds carry patient data the pipeline has no use for;
* **AR** for HL7 whose MSH-10 cannot be read: an ACK needs it in MSA-2, or the sender cannot tell which
  message was answered. Queued all the same, like the unreadable ones;
* **AE** when the queue or the bucket could not take it (throttled, unreachable, or refusing the call: a
  missing queue or a denied key is logged for the on-call engineer): nothing was stored, and the sender
  should retry.

Every queue message carries a ``dedup-id`` attribute, the sha256 of the payload: the same bytes sent twice
(an engine resending after a lost ACK, a spooled copy of a send that timed out but did arrive) carry the
same id. On a FIFO queue it is also the MessageDeduplicationId (see :mod:`radimpress.adapters.sqs`); on
the standard ingest queue the copies collapse at ingest, whose effects are keyed by content (the raw
archive is content-addressed, error ids derive from the raw digest) and by report key (one inference per
``MSH-10|accession|status``, idempotent on DynamoDB).

The ACK follows the sender's MSH (version, delimiters, MSH-15/16 acknowledgment modes): see
:mod:`radimpress.transports.ack`.

Over HTTPS (:func:`http_answer`) the ACK is the response body; AA and AR come with 200 (the message is
kept: resending it would only make a duplicate), AE with 503 so that the engine's retry queue resends it,
and an empty body with 400 (there is nothing to keep). Nothing here logs message content: only sizes and
the outcome code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from radimpress.errors import (
    DependencyRefusedError,
    ReportError,
    TransientError,
    UnreadableMessageError,
    UnsupportedMessageTypeError,
)
from radimpress.observability import logger
from radimpress.ports import MessageQueue, ObjectStore, OutboundMessage, s3_uri
from radimpress.reading.hl7.header import MessageHeader, looks_like_hl7, read_header
from radimpress.reading.plaintext import decode_text
from radimpress.transports.ack import AckHeader, ack_modes, ack_text, acknowledge
from radimpress.transports.inbound import (
    CLAIM_CHECK_ATTRIBUTE,
    CONTENT_ENCODING_ATTRIBUTE,
    SQS_BODY_LIMIT,
    sqs_text,
)

__all__ = [
    "ACK_CONTENT_TYPE",
    "DEDUP_ATTRIBUTE",
    "DEFAULT_REFUSED_TYPES",
    "Accepted",
    "HttpAnswer",
    "Intake",
    "Outcome",
    "Received",
    "dedup_id",
    "http_answer",
]

Outcome = Literal["AA", "AE", "AR"]

#: ER7-encoded HL7 v2, as the HL7-over-HTTP convention (HAPI's) names it
ACK_CONTENT_TYPE = "application/hl7-v2; charset=utf-8"

DEDUP_ATTRIBUTE = "dedup-id"

#: MSH-9.1 codes of messages the pipeline never drafts from (patient administration, orders, scheduling,
#: financials, master files, queries, acknowledgments): refused with AR, not queued.
DEFAULT_REFUSED_TYPES = frozenset(
    {"ADT", "ACK", "BAR", "DFT", "MFN", "OMG", "OML", "ORM", "QBP", "QRY", "RAS", "RDE", "SIU", "VXU"}
)


def dedup_id(payload: bytes) -> str:
    """The payload's deduplication id: the same bytes, the same id (see the module docstring)."""
    return hashlib.sha256(payload).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Received:
    """What the intake read of one payload before queueing it."""

    ack_header: AckHeader
    dedup_id: str
    unreadable: ReportError | None = None  # queued, answered AR
    refused: ReportError | None = None  # not queued, answered AR


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of one message: the outcome, the HL7 ACK (ER7, no framing) that says it, and whether
    to send it (enhanced mode can ask for no accept acknowledgment)."""

    outcome: Outcome
    ack: str
    send: bool = True
    code: str = ""


class Intake:
    """Queue a received message, then answer it (see the module docstring)."""

    def __init__(
        self,
        queue: MessageQueue,
        store: ObjectStore,
        *,
        claim_check_over: int = SQS_BODY_LIMIT,
        refused_types: Iterable[str] = DEFAULT_REFUSED_TYPES,
        sending_facility: str | None = None,
    ) -> None:
        self.queue = queue
        self.store = store
        self.claim_check_over = claim_check_over
        self.refused_types = frozenset(code.upper() for code in refused_types)
        self.sending_facility = sending_facility

    def receive(self, payload: bytes) -> Received:
        """Read what the ACK and the routing need; never raises."""
        header: MessageHeader | None = None
        unreadable: ReportError | None = None
        refused: ReportError | None = None
        try:
            if looks_like_hl7(payload):
                header = read_header(payload)
                if header.control_id is None:
                    unreadable = UnreadableMessageError(
                        "MSH-10 missing: the ACK cannot name it", where="MSH-10"
                    )
                elif (header.message_code or "") in self.refused_types:
                    refused = UnsupportedMessageTypeError("not a message type drafted from", where="MSH-9")
            else:
                decode_text(payload)
        except ReportError as exc:
            unreadable = exc
        accept, application = ack_modes(payload, header.delimiters.field if header else "|")
        return Received(AckHeader(header, accept, application), dedup_id(payload), unreadable, refused)

    def message_for(self, payload: bytes, dedup: str | None = None) -> OutboundMessage:
        """The queue message for ``payload``; a claimed payload is put in the bucket first."""
        text = sqs_text(payload)
        attributes: dict[str, str] = {DEDUP_ATTRIBUTE: dedup or dedup_id(payload)}
        if text is None:
            text = base64.b64encode(payload).decode("ascii")
            attributes[CONTENT_ENCODING_ATTRIBUTE] = "base64"
        if len(text.encode("utf-8")) <= self.claim_check_over:
            return OutboundMessage(text, attributes)
        key = f"inbound/{hashlib.sha256(payload).hexdigest()}"
        self.store.put(key, text.encode("utf-8"), "application/octet-stream")
        attributes[CLAIM_CHECK_ATTRIBUTE] = s3_uri(self.store.bucket, key)
        return OutboundMessage(f"claim check {key}", attributes)

    def answer(self, received: Received, stored: bool) -> Accepted:
        """The ACK once the message is stored (queued or spooled) or not (``stored`` False: AE)."""
        problem = received.refused or received.unreadable
        outcome: Outcome = "AE" if not stored and received.refused is None else ("AR" if problem else "AA")
        error = problem if outcome == "AR" else None
        acked = acknowledge(received.ack_header, outcome, error=error, sending_facility=self.sending_facility)
        text = acked.text
        if text is None:  # the sender asked for no accept ACK; HTTPS still needs a body
            text = ack_text(
                received.ack_header.header, acked.code, error=error, sending_facility=self.sending_facility
            )
        return Accepted(outcome, text, acked.text is not None, acked.code)

    def accept(self, payload: bytes) -> Accepted:
        """Queue one received message; AA, AR (queued but unreadable, or refused and not queued) or AE
        (not stored), with its ACK. Blocking: the HTTPS entry point's path."""
        received = self.receive(payload)
        if received.refused is not None:
            return self.answer(received, stored=False)
        stored = False
        try:
            refused = self.queue.send([self.message_for(payload, received.dedup_id)])
        except (TransientError, DependencyRefusedError) as exc:
            logger.warning("message not queued", error_type=exc.code, size=len(payload))
        else:
            if refused:
                logger.warning("message refused by the queue", size=len(payload))
            stored = not refused
        return self.answer(received, stored)


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """The HTTP response to one POSTed message, and its outcome (None: nothing was queued, a 400)."""

    status: int
    body: str
    content_type: str
    outcome: Outcome | None


def http_answer(intake: Intake, body: str | None, *, base64_encoded: bool) -> HttpAnswer:
    """Accept one message POSTed over HTTPS (API Gateway hands binary bodies over base64-encoded)."""
    try:
        payload = base64.b64decode(body or "", validate=True) if base64_encoded else (body or "").encode()
    except binascii.Error:
        return HttpAnswer(400, "the body is not valid base64: nothing queued\n", "text/plain", None)
    if not payload:
        return HttpAnswer(400, "empty message: nothing queued\n", "text/plain", None)
    accepted = intake.accept(payload)
    status = 503 if accepted.outcome == "AE" else 200
    return HttpAnswer(status, accepted.ack, ACK_CONTENT_TYPE, accepted.outcome)
