"""A SageMaker asynchronous endpoint on 127.0.0.1: ``InvokeEndpointAsync`` in, S3 output and SNS out.

The ingest function's real boto3 ``sagemaker-runtime`` client talks to it unchanged: the local runtime sets
``AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`` to :attr:`LocalAsyncEndpoint.url`. The wire API follows botocore's
service model (``sagemaker-runtime`` 2017-05-13, rest-json):

* request ``POST /endpoints/{EndpointName}/async-invocations`` with the headers
  ``X-Amzn-SageMaker-InputLocation`` (required), ``-Inference-Id``, ``-Content-Type``, ``-Accept``,
  ``-S3OutputPathExtension``, ``-RequestTTLSeconds``;
* response ``202`` with the JSON body ``{"InferenceId", "OutputLocation", "FailureLocation"}`` and the
  locations also in the ``X-Amzn-SageMaker-OutputLocation`` / ``-FailureLocation`` headers, which is where
  botocore reads them from; errors as ``x-amzn-ErrorType: ValidationError`` with a JSON ``message``.

What SageMaker then does in the background, worker threads do here (as many as the endpoint config's
``MaxConcurrentInvocationsPerInstance``): read the input from S3, run the engine behind the model contract
(any :class:`~radimpress.drafting.engines.base.Engine`: the endpoint does not know which), write the response
to ``<S3OutputPath>/<uuid>.out`` (a failure to ``<S3FailurePath>/<uuid>-error.out``) and publish SageMaker's
notification JSON to the SuccessTopic (or ErrorTopic). Notifications are sent with ``PublishBatch``, up to
ten per call: each subscriber still receives one SNS message per inference, as from ``Publish``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from radimpress.drafting.engines.base import Engine
from radimpress.drafting.engines.contract import ModelContract
from radimpress.drafting.prompts import STUDY_PROMPT
from radimpress.drafting.serving import EngineAbstainedError, handle_invocation
from radimpress.errors import RadimpressError
from radimpress.local.moto_server import ACCOUNT_ID, HOST
from radimpress.ports import split_s3_uri

__all__ = ["AsyncEndpointConfig", "EndpointStats", "LocalAsyncEndpoint", "notification"]

_PATH_PREFIX = "/endpoints/"
_PATH_SUFFIX = "/async-invocations"
_PUBLISH_BATCH = 10  # SNS PublishBatch limit
_PUBLISH_LINGER = 0.02  # seconds a publisher waits to fill a batch


def _timestamp(moment: datetime) -> str:
    """SageMaker's notification time format: ISO 8601, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _join(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"


@dataclass(frozen=True)
class AsyncEndpointConfig:
    """What the template's EndpointConfig (``AsyncInferenceConfig``) and the model side say."""

    endpoint_name: str
    s3_output_path: str
    s3_failure_path: str
    success_topic_arn: str | None
    error_topic_arn: str | None
    region: str
    max_concurrent_invocations: int = 4
    contract: ModelContract = "jumpstart-v1"
    prompt_template: str = STUDY_PROMPT


@dataclass
class EndpointStats:
    """Counters read by the progress display and the summary (from other threads: ints only)."""

    accepted: int = 0
    completed: int = 0
    failed: int = 0
    rejected: int = 0
    lost: int = 0  # accepted, but the output or the notification could not be written (S3 / SNS down)
    engine_seconds: float = 0.0
    failure_reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
    inference_id: str
    input_location: str
    content_type: str | None
    accept: str | None
    output_location: str
    failure_location: str
    received: datetime
    ttl_seconds: int | None


def notification(
    job: _Job,
    config: AsyncEndpointConfig,
    *,
    status: str,
    finished: datetime,
    output_content_type: str,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """The JSON SageMaker publishes to the success or error topic for one inference."""
    request: dict[str, Any] = {"endpointName": config.endpoint_name, "inputLocation": job.input_location}
    if job.content_type:
        request["contentType"] = job.content_type
    if job.accept:
        request["accept"] = job.accept
    body: dict[str, Any] = {
        "awsRegion": config.region,
        "eventTime": _timestamp(finished),
        "receivedTime": _timestamp(job.received),
        "invocationStatus": status,
        "requestParameters": request,
    }
    if failure_reason is None:
        body["responseParameters"] = {
            "contentType": output_content_type,
            "outputLocation": job.output_location,
        }
    else:
        body["failureReason"] = failure_reason
        body["responseParameters"] = {
            "contentType": output_content_type,
            "failureLocation": job.failure_location,
        }
    body |= {
        "inferenceId": job.inference_id,
        "eventVersion": "1.0",
        "eventSource": "aws:sagemaker",
        "eventName": "InferenceResult",
    }
    return body


class _InferenceFailure(Exception):
    """The model side failed this request; ``reason`` is what SageMaker would put in ``failureReason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LocalAsyncEndpoint:
    """The local endpoint: an HTTP server, worker threads, a notification publisher. A context manager."""

    def __init__(self, config: AsyncEndpointConfig, engine: Engine, *, s3: Any, sns: Any) -> None:
        self.config = config
        self.engine = engine
        self.s3 = s3
        self.sns = sns
        self.stats = EndpointStats()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._notices: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending = 0
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the endpoint is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def pending(self) -> int:
        """Requests accepted and not yet notified (queued, running, or waiting to be published)."""
        with self._lock:
            return self._pending

    def start(self) -> LocalAsyncEndpoint:
        self._server = ThreadingHTTPServer((HOST, 0), _handler_class(self))
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(target=self._server.serve_forever, name="endpoint-http", daemon=True)
        ]
        workers = max(1, self.config.max_concurrent_invocations)
        self._threads += [
            threading.Thread(target=self._work, name=f"endpoint-worker-{n}", daemon=True)
            for n in range(workers)
        ]
        self._threads.append(threading.Thread(target=self._publish, name="endpoint-publisher", daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        workers = [t for t in self._threads if t.name.startswith("endpoint-worker")]
        for _ in workers:
            self._jobs.put(None)
        for thread in workers:
            thread.join()
        self._notices.put(None)
        for thread in self._threads:
            thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> LocalAsyncEndpoint:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float, *, poll: float = 0.05) -> bool:
        """Block until nothing is pending, or ``timeout`` seconds; whether it became idle."""
        deadline = time.monotonic() + timeout
        while self.pending:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)
        return True

    # ------------------------------------------------------------------ the API

    def accept(
        self, endpoint_name: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """``InvokeEndpointAsync``: (HTTP status, response headers, JSON body)."""
        if endpoint_name != self.config.endpoint_name:
            return self._reject(f"Endpoint {endpoint_name} of account {ACCOUNT_ID} not found.")
        input_location = headers.get("x-amzn-sagemaker-inputlocation", "")
        try:
            split_s3_uri(input_location)
        except ValueError:
            return self._reject("InputLocation must be an s3:// URI of an object.")
        ttl = headers.get("x-amzn-sagemaker-requestttlseconds")
        name = str(uuid.uuid4())
        extension = headers.get("x-amzn-sagemaker-s3outputpathextension", "").strip("/")
        output_path = (
            _join(self.config.s3_output_path, extension) if extension else self.config.s3_output_path
        )
        job = _Job(
            inference_id=headers.get("x-amzn-sagemaker-inference-id") or str(uuid.uuid4()),
            input_location=input_location,
            content_type=headers.get("x-amzn-sagemaker-content-type"),
            accept=headers.get("x-amzn-sagemaker-accept"),
            output_location=_join(output_path, f"{name}.out"),
            failure_location=_join(self.config.s3_failure_path, f"{name}-error.out"),
            received=datetime.now(UTC),
            ttl_seconds=int(ttl) if ttl and ttl.isdigit() else None,
        )
        with self._lock:
            self._pending += 1
            self.stats.accepted += 1
        self._jobs.put(job)
        body = {
            "InferenceId": job.inference_id,
            "OutputLocation": job.output_location,
            "FailureLocation": job.failure_location,
        }
        response_headers = {
            "X-Amzn-SageMaker-OutputLocation": job.output_location,
            "X-Amzn-SageMaker-FailureLocation": job.failure_location,
        }
        return HTTPStatus.ACCEPTED, response_headers, body

    def _reject(self, message: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        with self._lock:
            self.stats.rejected += 1
        return HTTPStatus.BAD_REQUEST, {"x-amzn-ErrorType": "ValidationError"}, {"message": message}

    # ------------------------------------------------------------------ the model side

    def _infer(self, job: _Job) -> bytes:
        if (
            job.ttl_seconds is not None
            and (datetime.now(UTC) - job.received).total_seconds() > job.ttl_seconds
        ):
            raise _InferenceFailure("Request TTL expired before the request was processed.")
        bucket, key = split_s3_uri(job.input_location)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            raise _InferenceFailure("ClientError: the input location does not exist.") from None
        started = time.perf_counter()
        try:  # the one serving contract a SageMaker container of ours would run too
            return handle_invocation(
                body, self.engine, contract=self.config.contract, template=self.config.prompt_template
            )
        except EngineAbstainedError as exc:
            raise _InferenceFailure(f"ModelError: the model produced no text ({exc.reason}).") from None
        except RadimpressError as exc:  # InferenceError: not JSON, no prompt, a bad setting (shape only)
            raise _InferenceFailure(f"ClientError: Received client error (400) from model: {exc}") from None
        finally:
            with self._lock:
                self.stats.engine_seconds += time.perf_counter() - started

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._run(job)
            except Exception:  # noqa: BLE001 - S3 or SNS unreachable: the request is lost, and counted
                with self._lock:
                    self.stats.lost += 1
                self._done(1)

    def _run(self, job: _Job) -> None:
        try:
            output = self._infer(job)
        except _InferenceFailure as failure:
            self._fail(job, failure.reason)
            return
        except Exception as exc:  # noqa: BLE001 - a model-side crash is a failed inference, as in SageMaker
            self._fail(job, f"ModelError: the model raised {type(exc).__name__}.")
            return
        bucket, key = split_s3_uri(job.output_location)
        self.s3.put_object(Bucket=bucket, Key=key, Body=output, ContentType="application/json")
        notice = notification(
            job,
            self.config,
            status="Completed",
            finished=datetime.now(UTC),
            output_content_type="application/json",
        )
        with self._lock:
            self.stats.completed += 1
        self._notify(self.config.success_topic_arn, notice)

    def _fail(self, job: _Job, reason: str) -> None:
        bucket, key = split_s3_uri(job.failure_location)
        self.s3.put_object(Bucket=bucket, Key=key, Body=reason.encode("utf-8"), ContentType="text/plain")
        notice = notification(
            job,
            self.config,
            status="Failed",
            finished=datetime.now(UTC),
            output_content_type="text/plain; charset=utf-8",
            failure_reason=reason,
        )
        with self._lock:
            self.stats.failed += 1
            kind = reason.split(":", 1)[0]
            self.stats.failure_reasons[kind] = self.stats.failure_reasons.get(kind, 0) + 1
        self._notify(self.config.error_topic_arn, notice)

    def _notify(self, topic_arn: str | None, notice: dict[str, Any]) -> None:
        if topic_arn is None:  # no topic configured: SageMaker sends nothing
            self._done(1)
            return
        self._notices.put((topic_arn, notice))

    def _done(self, count: int) -> None:
        with self._lock:
            self._pending -= count

    def _publish(self) -> None:
        """Drain notifications into PublishBatch calls of up to ten per topic."""
        running = True
        while running:
            first = self._notices.get()
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + _PUBLISH_LINGER
            while len(batch) < _PUBLISH_BATCH:
                try:
                    item = self._notices.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    running = False
                    break
                batch.append(item)
            by_topic: dict[str, list[dict[str, Any]]] = {}
            for topic_arn, notice in batch:
                by_topic.setdefault(topic_arn, []).append(notice)
            for topic_arn, notices in by_topic.items():
                try:
                    self.sns.publish_batch(
                        TopicArn=topic_arn,
                        PublishBatchRequestEntries=[
                            {"Id": str(n), "Message": json.dumps(notice)} for n, notice in enumerate(notices)
                        ],
                    )
                except Exception:  # noqa: BLE001 - SNS unreachable: these notifications are lost, and counted
                    with self._lock:
                        self.stats.lost += len(notices)
            self._done(len(batch))


def _handler_class(endpoint: LocalAsyncEndpoint) -> Callable[..., BaseHTTPRequestHandler]:
    class InvokeEndpointAsyncHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: botocore reuses its connections

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)  # the body is not used: the input is at InputLocation
            path = urllib.parse.urlsplit(self.path).path
            if not (path.startswith(_PATH_PREFIX) and path.endswith(_PATH_SUFFIX)):
                self._send(HTTPStatus.NOT_FOUND, {"x-amzn-ErrorType": "UnknownOperationException"}, {})
                return
            name = urllib.parse.unquote(path[len(_PATH_PREFIX) : -len(_PATH_SUFFIX)])
            headers = {key.lower(): value for key, value in self.headers.items()}
            self._send(*endpoint.accept(name, headers))

        def _send(self, status: int, headers: dict[str, str], body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """No access log: the request line is all it would say."""

    return InvokeEndpointAsyncHandler
