"""IngestFunction: SQS report messages -> raw archive, request + submission records, InvokeEndpointAsync."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from radimpress.adapters.wiring import ingest_service
from radimpress.config import IngestSettings
from radimpress.ingest import IngestOutcome
from radimpress.observability import logger, metrics, tracer


class IngestRecord(SqsRecordModel):
    body: str  # HL7 v2 or report text; base64 / gzip per the content-encoding attribute; or a claim check


SETTINGS = IngestSettings.from_env(os.environ)
INGESTOR, ONCE = ingest_service(SETTINGS)
processor = BatchProcessor(event_type=EventType.SQS, model=IngestRecord)


@tracer.capture_method(capture_response=False)
def record_handler(record: IngestRecord) -> IngestOutcome:
    return INGESTOR.message(record.body, record.messageAttributes, message_id=record.messageId)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    ONCE.register_lambda_context(context)  # in-progress idempotency items expire with this invocation
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
