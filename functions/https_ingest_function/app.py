"""HttpsIngestFunction: one HL7 v2 (or plain-text) message POSTed over HTTPS -> IngestQueue, an HL7 ACK back.

API Gateway has authenticated the sender by then (mutual TLS on the custom domain, source address ranges in
the resource policy) and hands every body over base64-encoded, so the bytes are queued as they were sent.
:func:`radimpress.transports.intake.http_answer` decides the answer: 200 with AA or AR once the message is
queued, 503 with AE when it could not be (the engine's retry queue resends it), 400 for an empty or
undecodable body. The body is never logged; each outcome is counted (IntakeAA, IntakeAR, IntakeAE, and
IntakeEmpty for the 400s).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from radimpress.adapters.wiring import intake
from radimpress.config import HttpsIntakeSettings
from radimpress.observability import count, logger, metrics
from radimpress.transports.intake import http_answer

SETTINGS = HttpsIntakeSettings.from_env(os.environ)
INTAKE = intake(SETTINGS)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = APIGatewayProxyEvent(event)
    answer = http_answer(INTAKE, request.body, base64_encoded=bool(request.is_base64_encoded))
    count(f"Intake{answer.outcome or 'Empty'}")
    headers = {"Content-Type": answer.content_type}
    return {"statusCode": answer.status, "headers": headers, "body": answer.body}
