"""Powertools idempotency (DynamoDB) for the per-report submit: ``once`` of
:func:`radimpress.pipeline.ingest.ingest`.

The key is the submission's ``inference_id`` (the report key: sha256 of ``MSH-10|accession|status``), under
a fixed prefix, so any delivery of the same report, in the same message or another, after a retry or a
redrive, finds the first submit's receipt and does not invoke the endpoint again. The receipt comes back
with ``duplicate=True``.

Failure mapping: while a first submit is still in progress elsewhere (a concurrent duplicate), and when the
table is throttled or unreachable, the wrapper raises :class:`~radimpress.errors.TransientError` so SQS
redelivers later. If the submit itself raises, Powertools deletes the in-progress item, so the retry runs
it again.

Call :meth:`IdempotentSubmit.register_lambda_context` from the handler on every invocation: the
in-progress item then expires with the invocation, and a submit cut off by a timeout is retried instead of
blocking the report until the record expires.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyPersistenceLayerError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer

from radimpress.errors import TransientError
from radimpress.pipeline.ingest import Submit, SubmitReceipt
from radimpress.pipeline.records import SubmissionRecord

__all__ = ["DEFAULT_EXPIRY_SECONDS", "KEY_PREFIX", "IdempotentSubmit"]

#: SQS keeps a message at most 14 days: a report is remembered at least as long as any copy can arrive.
DEFAULT_EXPIRY_SECONDS = 14 * 24 * 3600
KEY_PREFIX = "radimpress-submit"


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    """Powertools' response hook: runs only when a stored receipt is returned instead of running again."""
    if isinstance(response, SubmitReceipt):
        return response.model_copy(update={"duplicate": True})
    return response


class IdempotentSubmit:
    """``once`` for :func:`radimpress.pipeline.ingest.ingest`, backed by the ``IDEMPOTENCY_TABLE`` DynamoDB
    table.

    The persistence layer (and its boto3 client) is created on first use, not at cold start.
    """

    def __init__(
        self,
        table_name: str,
        *,
        expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
        persistence: Any = None,
    ) -> None:
        self._table_name = table_name
        self._persistence = persistence
        self.config = IdempotencyConfig(
            event_key_jmespath="inference_id",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
            response_hook=_mark_duplicate,
        )

    @property
    def persistence(self) -> Any:
        if self._persistence is None:
            self._persistence = DynamoDBPersistenceLayer(table_name=self._table_name)
        return self._persistence

    def register_lambda_context(self, context: Any) -> None:
        self.config.register_lambda_context(context)

    def __call__(self, submit: Submit) -> Submit:
        once = idempotent_function(
            submit,
            data_keyword_argument="submission",
            persistence_store=self.persistence,
            config=self.config,
            output_serializer=PydanticSerializer(model=SubmitReceipt),
            key_prefix=KEY_PREFIX,
        )

        def submit_once(*, submission: SubmissionRecord) -> SubmitReceipt:
            try:
                receipt: SubmitReceipt = once(submission=submission)
            except IdempotencyAlreadyInProgressError as exc:
                raise TransientError(
                    "report is being submitted by another delivery", where="idempotency"
                ) from exc
            except (IdempotencyPersistenceLayerError, IdempotencyInconsistentStateError) as exc:
                raise TransientError("idempotency table unavailable", where="idempotency") from exc
            return receipt

        return submit_once
