"""IngestFunction: SQS report messages -> raw archive, request + submission records, InvokeEndpointAsync.

Lean on purpose: every new concurrent instance of this function pays its cold start, so its import path
carries no X-Ray SDK (Lambda's active tracing records the invocations) and no parser models (the body is
handed to the domain as it arrived, and ``radimpress.transports.inbound`` validates it).
"""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from radimpress.adapters.wiring import ingest_service
from radimpress.config import IngestSettings
from radimpress.observability import logger, metrics
from radimpress.pipeline.ingest import IngestOutcome

SETTINGS = IngestSettings.from_env(os.environ)
INGESTOR, ONCE = ingest_service(SETTINGS)
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> IngestOutcome:
    attributes = {name: attribute.string_value for name, attribute in record.message_attributes.items()}
    return INGESTOR.message(record.body, attributes, message_id=record.message_id)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, object], context: LambdaContext) -> PartialItemFailureResponse:
    ONCE.register_lambda_context(context)  # in-progress idempotency items expire with this invocation
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
