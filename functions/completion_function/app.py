"""CompletionFunction: SageMaker async notifications (SNS -> SQS) -> result or error records."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SnsNotificationModel, SqsRecordModel
from aws_lambda_powertools.utilities.parser.types import Json
from aws_lambda_powertools.utilities.typing import LambdaContext

from radimpress.adapters.wiring import completion_batch
from radimpress.config import CompletionSettings
from radimpress.observability import get_tracer, logger, metrics
from radimpress.pipeline.completion import AsyncInferenceNotification, Completed


class SageMakerNotification(SnsNotificationModel):
    Message: Json[AsyncInferenceNotification]  # type: ignore[assignment] # the SNS Message is this JSON


class NotificationRecord(SqsRecordModel):
    body: Json[SageMakerNotification]  # RawMessageDelivery off: the SQS body is the SNS envelope


TRACER = get_tracer()
SETTINGS = CompletionSettings.from_env(os.environ)
processor = BatchProcessor(event_type=EventType.SQS, model=NotificationRecord)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@TRACER.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    with completion_batch(SETTINGS, batch_id=context.aws_request_id) as batch:  # ONE Parquet file on exit

        def record_handler(record: NotificationRecord) -> Completed:
            return batch.complete(record.body.Message)

        return process_partial_response(event, record_handler, processor, context)
