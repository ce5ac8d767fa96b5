"""The composition root: each function's domain service built from its settings and the production adapters.

Handlers call these; nothing here creates a client (adapters do that on first use). The completion side
(scoring, pyarrow) is imported inside :func:`completion_batch`, so the ingest handler never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from radimpress.adapters.idempotency import IdempotentSubmit
from radimpress.adapters.s3 import S3ObjectStore
from radimpress.adapters.sagemaker import SageMakerAsyncClient
from radimpress.adapters.secrets import SecretsManagerSource
from radimpress.adapters.sqs import SqsQueue
from radimpress.config import CompletionSettings, HttpsIntakeSettings, IngestSettings
from radimpress.pipeline.ingest import Ingestor
from radimpress.ports import utc_now
from radimpress.transports.intake import Intake

if TYPE_CHECKING:
    from radimpress.pipeline.completion import CompletionBatch

__all__ = ["completion_batch", "ingest_service", "intake"]


def ingest_service(settings: IngestSettings) -> tuple[Ingestor, IdempotentSubmit]:
    """The ingestor, and its idempotency guard (the handler registers each invocation's context on it)."""
    once = IdempotentSubmit(settings.idempotency_table)
    ingestor = Ingestor(
        store=S3ObjectStore(settings.bucket_name),
        inference=SageMakerAsyncClient(),
        settings=settings,
        pseudonym_key=SecretsManagerSource().cached(settings.pseudonym_key_secret_arn),
        clock=utc_now,
        once=once,
    )
    return ingestor, once


def intake(settings: HttpsIntakeSettings) -> Intake:
    """What the HTTPS entry point queues with: the ingest queue, and the bucket for claim checks."""
    return Intake(SqsQueue(settings.ingest_queue_url), S3ObjectStore(settings.bucket_name))


def completion_batch(settings: CompletionSettings, *, batch_id: str) -> CompletionBatch:
    """A batch of completions on the data bucket whose results are written as Parquet when it closes."""
    from radimpress.adapters.parquet import write_results  # noqa: PLC0415 - pyarrow only on this path
    from radimpress.pipeline.completion import CompletionBatch  # noqa: PLC0415

    outbox = SqsQueue(settings.outbound_queue_url) if settings.outbound_queue_url else None
    return CompletionBatch(
        S3ObjectStore(settings.bucket_name), settings, batch_id=batch_id, write=write_results, outbox=outbox
    )
