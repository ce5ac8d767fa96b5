"""SageMaker Runtime adapter of the :class:`~radimpress.ports.InferenceClient` port (asynchronous endpoints).

``InvokeEndpointAsync`` only enqueues: the request payload is already in S3 (``InputLocation``), the output
appears later under the endpoint config's S3OutputPath and a notification goes to its SNS topics. The local
runtime points this same client at its stand-in endpoint with ``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME``.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from radimpress.adapters._aws import CONNECTION_ERRORS, client, error_code, is_transient
from radimpress.errors import InferenceError, TransientError

__all__ = ["SageMakerAsyncClient"]

_REJECTED = frozenset({"ValidationError", "ValidationException", "ModelError"})


class SageMakerAsyncClient:
    """Throttling, 5xx and connection failures -> TransientError (SQS retries the message);
    a request the endpoint rejects (``ValidationError``: unknown endpoint, bad input location) ->
    InferenceError. Anything else (access denied) propagates unchanged."""

    def __init__(self, *, runtime_client: Any = None) -> None:
        self._client = runtime_client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client("sagemaker-runtime")
        return self._client

    def submit(self, endpoint_name: str, inference_id: str, input_location: str, content_type: str) -> str:
        try:
            response = self.client.invoke_endpoint_async(
                EndpointName=endpoint_name,
                InputLocation=input_location,
                InferenceId=inference_id,
                ContentType=content_type,
            )
        except ClientError as exc:
            if is_transient(exc):
                raise TransientError("endpoint throttled or unavailable", where=endpoint_name) from exc
            if error_code(exc) in _REJECTED:
                raise InferenceError("endpoint rejected the request", where=endpoint_name) from exc
            raise
        except CONNECTION_ERRORS as exc:
            raise TransientError("endpoint unreachable", where=endpoint_name) from exc
        return str(response["OutputLocation"])
