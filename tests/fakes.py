"""In-memory fakes of the ports in ``radimpress.ports``, for unit tests.

Kept under ``tests/`` rather than in the package: test doubles are not shipped in the Lambda layer, and
nothing in production or in the local runtime uses them (the local runtime runs the real adapters
against moto). Imported as ``tests.fakes`` (pytest's ``pythonpath = ["."]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from radimpress.errors import RadimpressError, TransientError
from radimpress.pipeline.ingest import Submit, SubmitReceipt
from radimpress.pipeline.records import ResultRecord, SubmissionRecord
from radimpress.ports import ObjectNotFoundError, OutboundMessage, split_s3_uri

BUCKET = "radimpress-data-test"
TABLE = "radimpress-idempotency-test"
ENDPOINT = "radimpress-dev-endpoint"


@dataclass
class InMemoryQueue:
    """Keeps what it is sent; refuses the messages whose index is in ``refuse``; ``fail`` raises instead."""

    refuse: frozenset[int] = frozenset()
    fail: TransientError | None = None
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, messages: Sequence[OutboundMessage]) -> list[int]:
        if self.fail is not None:
            raise self.fail
        self.sent.extend(m for i, m in enumerate(messages) if i not in self.refuse)
        return sorted(self.refuse & set(range(len(messages))))


@dataclass
class InMemoryObjectStore:
    """A dict of ``(bucket, key) -> (bytes, content type)``; ``fail_puts`` injects an error on every put."""

    bucket: str = BUCKET
    objects: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    fail_puts: RadimpressError | None = None
    fail_gets: RadimpressError | None = None
    #: every key put, in order (a key put twice appears twice)
    puts: list[str] = field(default_factory=list)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.fail_puts is not None:
            raise self.fail_puts
        self.objects[(self.bucket, key)] = (bytes(data), content_type)
        self.puts.append(key)

    def get(self, key: str, *, bucket: str | None = None) -> bytes:
        if self.fail_gets is not None:
            raise self.fail_gets
        try:
            return self.objects[(bucket or self.bucket, key)][0]
        except KeyError:
            raise ObjectNotFoundError("object not found", where=key) from None

    def list(self, prefix: str) -> list[str]:
        return sorted(key for bucket, key in self.objects if bucket == self.bucket and key.startswith(prefix))

    def put_uri(self, uri: str, data: bytes) -> None:
        bucket, key = split_s3_uri(uri)
        self.objects[(bucket, key)] = (data, "application/octet-stream")

    def text(self, key: str) -> str:
        return self.get(key).decode("utf-8")


@dataclass(frozen=True)
class Invocation:
    endpoint_name: str
    inference_id: str
    input_location: str
    content_type: str


@dataclass
class FakeInference:
    """Records every InvokeEndpointAsync; ``fail_with`` raises instead (once per listed error, in order)."""

    output_prefix: str = f"s3://{BUCKET}/async-out"
    calls: list[Invocation] = field(default_factory=list)
    fail_with: list[RadimpressError] = field(default_factory=list)

    def submit(self, endpoint_name: str, inference_id: str, input_location: str, content_type: str) -> str:
        if self.fail_with:
            raise self.fail_with.pop(0)
        self.calls.append(Invocation(endpoint_name, inference_id, input_location, content_type))
        return f"{self.output_prefix}/{inference_id}.out"


@dataclass
class FakeSecrets:
    values: dict[str, bytes] = field(default_factory=dict)

    def get(self, secret_id: str) -> bytes:
        return self.values[secret_id]


@dataclass
class InMemoryOnce:
    """The idempotency ``once`` in memory: the first receipt per inference id is kept and replayed."""

    receipts: dict[str, SubmitReceipt] = field(default_factory=dict)

    def __call__(self, submit: Submit) -> Submit:
        def submit_once(*, submission: SubmissionRecord) -> SubmitReceipt:
            stored = self.receipts.get(submission.inference_id)
            if stored is not None:
                return stored.model_copy(update={"duplicate": True})
            receipt = submit(submission=submission)
            self.receipts[submission.inference_id] = receipt
            return receipt

        return submit_once


class SteppingClock:
    """A clock that starts at ``start`` and advances ``step`` per reading."""

    def __init__(self, start: datetime | None = None, step: timedelta = timedelta(seconds=1)) -> None:
        self._times: Iterator[datetime] = _steps(start or datetime(2024, 1, 2, 8, 0, tzinfo=UTC), step)

    def __call__(self) -> datetime:
        return next(self._times)


def _steps(start: datetime, step: timedelta) -> Iterator[datetime]:
    current = start
    while True:
        yield current
        current += step


def fixed_clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def make_result(
    inference_id: str,
    rouge: tuple[float, float, float, float] | None,
    *,
    completed_at: datetime | None = None,
) -> ResultRecord:
    """A result row with the given ROUGE F-measures (rouge1, rouge2, rougeL, rougeLsum) or none."""
    completed = completed_at or datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    submitted = completed - timedelta(seconds=5)
    rouge1, rouge2, rouge_l, rouge_lsum = rouge if rouge is not None else (None, None, None, None)
    return ResultRecord(
        inference_id=inference_id,
        report_key=inference_id,
        control_key=f"c{inference_id[:23]}",
        accession_key=f"a{inference_id[:23]}",
        status="F",
        patient_key="0" * 24,
        raw_key=f"raw/{inference_id[:2]}/{inference_id}",
        findings="The lungs are clear.",
        draft="No acute disease.",
        reference_impression="No acute cardiopulmonary disease." if rouge is not None else None,
        rouge1=rouge1,
        rouge2=rouge2,
        rougeL=rouge_l,
        rougeLsum=rouge_lsum,
        engine="sagemaker:radimpress-test-endpoint",
        model_id="flan-t5-test",
        submitted_at=submitted,
        completed_at=completed,
        latency_ms=5000,
    )


@dataclass
class LambdaContextStub:
    """What Powertools and the handlers read of Lambda's context object."""

    function_name: str = "radimpress-test-Function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:radimpress-test-Function"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    remaining_millis: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
