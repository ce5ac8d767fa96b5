"""One exception root for everything radimpress raises on purpose.

Every leaf carries a stable ``code`` (what an error record, a metric dimension and the CLI print) and
``where`` (segment and field, or a byte offset) so an interface analyst can find the fault in the message
without radimpress ever echoing the message body, which carries patient data.
"""

from __future__ import annotations

__all__ = [
    "BadModelOutputError",
    "ConfigurationError",
    "EncodingError",
    "EngineAbstainedError",
    "InferenceError",
    "NoFindingsError",
    "NoReportTextError",
    "ObjectNotFoundError",
    "RadimpressError",
    "ReportError",
    "TransientError",
    "UnknownInferenceError",
    "UnreadableMessageError",
    "UnsupportedMessageTypeError",
]


class RadimpressError(Exception):
    """Root of every error radimpress raises deliberately."""

    code = "radimpress_error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{message} (at {where})" if where else message)


class ReportError(RadimpressError):
    """A report could not be read. Permanent: retrying the same bytes gives the same error."""

    code = "report_error"


class UnreadableMessageError(ReportError):
    """Not HL7 v2 nor a readable text report: empty, binary, truncated, no MSH, no delimiters."""

    code = "unreadable"


class EncodingError(ReportError):
    """Bytes that no supported character set decodes, or an invalid transfer encoding."""

    code = "bad_encoding"


class UnsupportedMessageTypeError(ReportError):
    """Readable HL7, but not a result message radimpress drafts from (e.g. ADT^A01)."""

    code = "unsupported_message_type"


class NoReportTextError(ReportError):
    """A result message with no report text in OBX-5 or NTE."""

    code = "no_report_text"


class NoFindingsError(ReportError):
    """A report whose text has no findings to draft an impression from."""

    code = "no_findings"


class ConfigurationError(RadimpressError):
    """Missing or invalid configuration; raised at start, never mid-batch."""

    code = "configuration"


class TransientError(RadimpressError):
    """A dependency failed in a way that retrying may fix (throttling, timeouts)."""

    code = "transient"


class DependencyRefusedError(RadimpressError):
    """A dependency refused a request in a way that retrying the same call will not fix (a queue that does
    not exist, access denied): the deployment needs attention. Nothing was stored."""

    code = "dependency_refused"


class InferenceError(RadimpressError):
    """A model invocation failed: a request the model side cannot read, or a failure the endpoint reported.

    Permanent for that request: sending the same payload again fails the same way.
    """

    code = "inference_failed"


class BadModelOutputError(InferenceError):
    """The model answered, but not in a shape radimpress reads (no generated text, empty text, not JSON)."""

    code = "bad_model_output"


class ObjectNotFoundError(RadimpressError):
    """An object the caller expected is not in the store (a claim check, a submission, an output)."""

    code = "object_not_found"


class UnknownInferenceError(RadimpressError):
    """A notification whose inference has no submission record, or whose output is missing."""

    code = "unknown_inference"


class EngineAbstainedError(InferenceError):
    """The engine returned no draft; ``reason`` is its abstention reason (a short code, no report text)."""

    code = "abstained"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the engine abstained ({reason})")
        self.reason = reason
