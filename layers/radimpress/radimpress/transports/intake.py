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
* **AE** when the queue or the bucket could not take it (throttled, unreachable, or refusing the call: a
  missing queue or a denied key is logged for the on-call engineer): nothing was stored, and the sender
  should retry.

Over HTTPS (:func:`http_answer`) the ACK is the response body; AA and AR come with 200 (the message is
kept: resending it would only make a duplicate), AE with 503 so that the engine's retry queue resends it,
and an empty body with 400 (there is nothing to keep). Nothing here logs message content: only sizes and
the outcome code.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Literal

from radimpress.errors import DependencyRefusedError, ReportError, TransientError
from radimpress.observability import logger
from radimpress.ports import MessageQueue, ObjectStore, OutboundMessage, s3_uri
from radimpress.reading.hl7.header import looks_like_hl7, read_header
from radimpress.reading.hl7lib import build_ack
from radimpress.reading.plaintext import decode_text
from radimpress.transports.inbound import (
    CLAIM_CHECK_ATTRIBUTE,
    CONTENT_ENCODING_ATTRIBUTE,
    SQS_BODY_LIMIT,
    sqs_text,
)

__all__ = ["ACK_CONTENT_TYPE", "Accepted", "HttpAnswer", "Intake", "Outcome", "http_answer"]

Outcome = Literal["AA", "AE", "AR"]

#: ER7-encoded HL7 v2, as the HL7-over-HTTP convention (HAPI's) names it
ACK_CONTENT_TYPE = "application/hl7-v2; charset=utf-8"


@dataclass(frozen=True, slots=True)
class Accepted:
    """What became of one message: the outcome code and the HL7 ACK (ER7, no framing) that says it."""

    outcome: Outcome
    ack: str


class Intake:
    """Queue a received message, then answer it (see the module docstring)."""

    def __init__(
        self, queue: MessageQueue, store: ObjectStore, *, claim_check_over: int = SQS_BODY_LIMIT
    ) -> None:
        self.queue = queue
        self.store = store
        self.claim_check_over = claim_check_over

    def message_for(self, payload: bytes) -> OutboundMessage:
        """The queue message for ``payload``; a claimed payload is put in the bucket first."""
        text = sqs_text(payload)
        attributes: dict[str, str] = {}
        if text is None:
            text = base64.b64encode(payload).decode("ascii")
            attributes[CONTENT_ENCODING_ATTRIBUTE] = "base64"
        if len(text.encode("utf-8")) <= self.claim_check_over:
            return OutboundMessage(text, attributes)
        key = f"inbound/{hashlib.sha256(payload).hexdigest()}"
        self.store.put(key, text.encode("utf-8"), "application/octet-stream")
        attributes[CLAIM_CHECK_ATTRIBUTE] = s3_uri(self.store.bucket, key)
        return OutboundMessage(f"claim check {key}", attributes)

    def accept(self, payload: bytes) -> Accepted:
        """Queue one received message; AA, AR (queued but unreadable) or AE (not stored), with its ACK."""
        unreadable = _unreadable(payload)
        outcome: Outcome = "AE"
        try:
            refused = self.queue.send([self.message_for(payload)])
        except (TransientError, DependencyRefusedError) as exc:
            logger.warning("message not queued", error_type=exc.code, size=len(payload))
        else:
            if refused:
                logger.warning("message refused by the queue", size=len(payload))
            else:
                outcome = "AA" if unreadable is None else "AR"
        ack = build_ack(payload, error=unreadable if outcome == "AR" else None, code=outcome)
        return Accepted(outcome, ack)


def _unreadable(payload: bytes) -> ReportError | None:
    """Why the ingest function could never read ``payload`` (it tells HL7 from text the same way), or None."""
    try:
        if looks_like_hl7(payload):
            read_header(payload)
        else:
            decode_text(payload)
    except ReportError as exc:
        return exc
    return None


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
