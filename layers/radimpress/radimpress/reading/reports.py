"""The one entry point from raw feed bytes to reports: HL7 v2 or plain text, single or batch.

Each message of a payload yields either a :class:`Report` or the :class:`ReportError` that explains why
it could not be read, so a bad message in a batch file never hides the good ones.
"""

from __future__ import annotations

from typing import Literal

from radimpress.errors import ReportError, UnreadableMessageError
from radimpress.reading import plaintext
from radimpress.reading.hl7.header import looks_like_hl7
from radimpress.reading.hl7.message import parse_message
from radimpress.reading.hl7.segments import split_messages
from radimpress.reading.model import Report

__all__ = ["Format", "ReadOutcome", "read_report", "read_reports"]

Format = Literal["auto", "hl7", "text"]
ReadOutcome = Report | ReportError


def read_reports(
    payload: bytes | str,
    *,
    source: str,
    fmt: Format = "auto",
    pseudonym_key: bytes | None = None,
) -> list[ReadOutcome]:
    """Every report in ``payload``, or the typed error of each message that failed.

    Raises only when the payload as a whole is unreadable (then there is no message to attribute
    an error to); never any exception outside :class:`ReportError`.
    """
    if fmt == "text" or (fmt == "auto" and not looks_like_hl7(payload)):
        return [plaintext.parse_text_report(payload, source=source)]
    outcomes: list[ReadOutcome] = []
    messages = split_messages(payload)
    if not messages:
        raise UnreadableMessageError("payload holds no HL7 message", where="MSH")
    for index, message in enumerate(messages):
        name = source if len(messages) == 1 else f"{source}#{index + 1}"
        try:
            outcomes.append(parse_message(message, source=name, pseudonym_key=pseudonym_key))
        except ReportError as exc:
            outcomes.append(exc)
    return outcomes


def read_report(
    payload: bytes | str,
    *,
    source: str,
    fmt: Format = "auto",
    pseudonym_key: bytes | None = None,
) -> Report:
    """Exactly one report from ``payload``; the typed error when it is not exactly one readable report."""
    outcomes = read_reports(payload, source=source, fmt=fmt, pseudonym_key=pseudonym_key)
    if len(outcomes) != 1:
        raise UnreadableMessageError(f"expected one message, payload holds {len(outcomes)}", where="MSH")
    outcome = outcomes[0]
    if isinstance(outcome, ReportError):
        raise outcome
    return outcome
