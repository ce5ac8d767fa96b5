"""The whole pipeline on one machine: embedded AWS, the stack from the template, the endpoint, the functions.

::

    with LocalRuntime(RuntimeOptions(workdir=Path(".demo"))) as runtime:
        runtime.start_pollers()
        runtime.send(feed_items)
        runtime.wait_until_settled()
        runtime.stop_pollers()
        runtime.run_nightly(date.today())
        mirror = runtime.download(["results/", "errors/", "evaluations/"])

Starting it: moto in its own process (:mod:`radimpress.local.moto_server`), every template resource created
or stood in for (:mod:`radimpress.local.resources`), boto3 pointed at moto and the SageMaker runtime client at
the local endpoint (:mod:`radimpress.local.endpoint`, serving the embedded engine), each function's handler
loaded from ``functions/<dir>/app.py`` (:mod:`radimpress.local.handlers`) with the environment the template
gives it, and one :class:`~radimpress.local.poller.SqsPoller` thread per SQS event of the template and
concurrent execution (:attr:`~radimpress.local.runtime_options.RuntimeOptions.concurrency`), and one loopback
:class:`~radimpress.local.api.LocalRestApi` per REST API of the template, routing its Api events to their
handlers. Each execution imports the handler module
afresh, so module-level state (Powertools' ``BatchProcessor``, settings, the idempotency guard) is its own,
as in a Lambda execution environment; what the handlers import from ``radimpress`` (the Powertools logger
and metrics of ``radimpress.observability``, the adapters' boto3 clients) is one copy for all of them, as
it could not be in Lambda. The process environment is restored on exit.
"""

from __future__ import annotations

import itertools
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from radimpress.datasets.samplefeed.feed import FeedItem
from radimpress.drafting.engines import build_engine
from radimpress.drafting.engines.base import Engine
from radimpress.drafting.prompts import STUDY_PROMPT
from radimpress.errors import ConfigurationError
from radimpress.local.api import LocalRestApi, Route
from radimpress.local.endpoint import AsyncEndpointConfig, LocalAsyncEndpoint
from radimpress.local.handlers import load_handler, reset_adapter_clients
from radimpress.local.mllp_entry import LocalMllpEntry
from radimpress.local.moto_server import MotoServer, client_environment
from radimpress.local.moto_server import start as start_moto
from radimpress.local.poller import EventSource, FunctionSpec, Handler, PollerStats, SqsPoller
from radimpress.local.producer import Producer, Sent
from radimpress.local.query import GlueTable
from radimpress.local.resources.create import create_stack
from radimpress.local.resources.local_stack import LocalStack
from radimpress.local.runtime_options import Adjustment, RuntimeOptions, repository_root
from radimpress.local.scheduler import ScheduledRun, invoke_scheduled, schedule_event

__all__ = ["LocalRuntime"]

_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_SETTLE_POLL = 0.25
_instances = itertools.count(1)


class LocalRuntime:
    """The local pipeline; see the module docstring. A context manager: everything stops on exit."""

    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        self.root = options.root or repository_root()
        self.instance = next(_instances)
        self.adjustments: list[Adjustment] = []
        self.moto: MotoServer | None = None
        self.stack: LocalStack | None = None
        self.endpoint: LocalAsyncEndpoint | None = None
        self.pollers: dict[str, SqsPoller] = {}
        self.apis: dict[str, LocalRestApi] = {}  # per AWS::Serverless::Api, its loopback stand-in
        self.functions: dict[str, FunctionSpec] = {}
        self.handlers: dict[str, Handler] = {}
        self.producer: Producer | None = None
        self.mllp_entry: LocalMllpEntry | None = None
        self.startup_seconds: dict[str, float] = {}
        self._clients: dict[str, Any] = {}
        self._saved_environment: dict[str, str] | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> LocalRuntime:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _timed(self, label: str, started: float) -> None:
        self.startup_seconds[label] = time.perf_counter() - started

    def start(self) -> None:
        self.options.workdir.mkdir(parents=True, exist_ok=True)
        self._saved_environment = dict(os.environ)
        # The engine's index builds on this process's core while moto starts on the other.
        engines: list[Engine] = []
        building = threading.Thread(target=lambda: engines.append(self._build_engine()), name="engine-build")
        started = time.perf_counter()
        building.start()
        try:
            self.moto = start_moto(log_path=self.options.moto_log)
            os.environ.update(client_environment(self.moto.endpoint_url, self.moto.region))
            self._timed("moto", started)

            started = time.perf_counter()
            self.stack = create_stack(
                self.root / "template.yaml", self.client, parameters=self.options.parameters
            )
            self._shorten_visibility()
            self._timed("resources", started)
        finally:
            building.join()
        if not engines:
            raise ConfigurationError("the engine could not be built (see the error above)", where="engine")

        started = time.perf_counter()
        self.endpoint = LocalAsyncEndpoint(
            self._endpoint_config(), engines[0], s3=self.client("s3"), sns=self.client("sns")
        ).start()
        self._timed("endpoint", started)

        started = time.perf_counter()
        self._load_functions()
        self._start_apis()
        self._timed("functions", started)

    def _build_engine(self) -> Engine:
        started = time.perf_counter()
        engine = self.options.engine or build_engine(exclude_identical_findings=True)
        self._timed("engine", started)
        return engine

    def close(self) -> None:
        if self.mllp_entry is not None:
            self.mllp_entry.stop()
            self.mllp_entry = None
        self.stop_pollers()
        for api in self.apis.values():
            api.stop()
        self.apis.clear()
        if self.endpoint is not None:
            self.endpoint.stop()
            self.endpoint = None
        if self.moto is not None:
            self.moto.stop()
            self.moto = None
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
            self._saved_environment = None
        reset_adapter_clients()

    # ------------------------------------------------------------------ AWS clients

    def client(self, service: str) -> Any:
        """One boto3 client per service, pointed at the embedded AWS (thread-safe once created)."""
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                config=Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 4}),
            )
        return self._clients[service]

    @property
    def require_moto(self) -> MotoServer:
        if self.moto is None:
            raise RuntimeError("the runtime is not started")
        return self.moto

    @property
    def require_stack(self) -> LocalStack:
        if self.stack is None:
            raise RuntimeError("the runtime is not started")
        return self.stack

    # ------------------------------------------------------------------ configuration from the template

    def _shorten_visibility(self) -> None:
        seconds = self.options.visibility_timeout
        stack = self.require_stack
        if seconds is None:
            return
        polled = {
            str(event["Properties"]["Queue"])
            for function in stack.resolved.enabled()
            if function.type in _FUNCTION_TYPES
            for event in (function.properties.get("Events") or {}).values()
            if event.get("Type") == "SQS"
        }
        for queue in stack.resolved.of_type("AWS::SQS::Queue"):
            if stack.attribute(queue.logical_id, "Arn") not in polled:
                continue  # only the queues an event source mapping reads: a failed record comes back sooner
            template_value = str(queue.properties.get("VisibilityTimeout", "30"))
            if int(template_value) <= seconds:
                continue
            self.client("sqs").set_queue_attributes(
                QueueUrl=stack.ref(queue.logical_id), Attributes={"VisibilityTimeout": str(seconds)}
            )
            self.adjustments.append(
                Adjustment(f"{queue.logical_id} VisibilityTimeout", f"{template_value} s", f"{seconds} s")
            )

    def _endpoint_config(self) -> AsyncEndpointConfig:
        """The local endpoint's settings: the EndpointConfig's AsyncInferenceConfig, or (when the template
        uses an existing endpoint) the bucket's async prefixes and the inference topics."""
        stack = self.require_stack
        ingest = self._function_with_env("ENDPOINT_NAME")
        environment = stack.function_environment(ingest)
        configs = stack.resolved.of_type("AWS::SageMaker::EndpointConfig")
        bucket = environment["BUCKET_NAME"]
        output = f"s3://{bucket}/async-out/"
        failure = f"s3://{bucket}/async-failures/"
        success_topic = stack.ref("SuccessTopic") if "SuccessTopic" in stack.physical_ids else None
        error_topic = stack.ref("ErrorTopic") if "ErrorTopic" in stack.physical_ids else None
        concurrency = 4
        if configs:
            async_config = configs[0].properties.get("AsyncInferenceConfig", {})
            output_config = async_config.get("OutputConfig", {})
            output = output_config.get("S3OutputPath", output)
            failure = output_config.get("S3FailurePath", failure)
            notifications = output_config.get("NotificationConfig", {})
            success_topic = notifications.get("SuccessTopic", success_topic)
            error_topic = notifications.get("ErrorTopic", error_topic)
            concurrency = int(
                async_config.get("ClientConfig", {}).get("MaxConcurrentInvocationsPerInstance", 4)
            )
        return AsyncEndpointConfig(
            endpoint_name=environment["ENDPOINT_NAME"],
            s3_output_path=output,
            s3_failure_path=failure,
            success_topic_arn=success_topic,
            error_topic_arn=error_topic,
            region=stack.region,
            max_concurrent_invocations=concurrency,
            contract=environment.get("MODEL_CONTRACT", "jumpstart-v1"),  # type: ignore[arg-type]
            prompt_template=environment.get("PROMPT_TEMPLATE", STUDY_PROMPT),
        )

    def _function_with_env(self, variable: str) -> str:
        stack = self.require_stack
        for resource in stack.resolved.enabled():
            if resource.type in _FUNCTION_TYPES and variable in stack.function_environment(
                resource.logical_id
            ):
                return resource.logical_id
        raise ConfigurationError(f"no function has {variable} in its environment")

    def _function_environment(self, logical_id: str) -> dict[str, str]:
        environment = self.require_stack.function_environment(logical_id)
        return {
            **environment,
            # X-Ray has no local stand-in: the Powertools tracer is off (the template's Tracing: Active)
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def _load_functions(self) -> None:
        """Import every function's handler with its environment; build its SQS pollers."""
        stack = self.require_stack
        if self.endpoint is None:
            raise RuntimeError("the endpoint must start before the functions")
        os.environ["AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"] = self.endpoint.url
        reset_adapter_clients()
        environments = {
            resource.logical_id: self._function_environment(resource.logical_id)
            for resource in stack.resolved.enabled()
            if resource.type in _FUNCTION_TYPES
        }
        base = dict(os.environ)
        for logical_id, environment in environments.items():
            properties = stack.resource(logical_id).properties
            code_dir = (self.root / str(properties["CodeUri"])).resolve()
            events = {
                name: event["Properties"]
                for name, event in (properties.get("Events") or {}).items()
                if event.get("Type") == "SQS"
            }
            self.functions[logical_id] = FunctionSpec(
                name=stack.ref(logical_id),
                arn=stack.attribute(logical_id, "Arn"),
                memory_mb=int(properties.get("MemorySize", 128)),
                timeout_seconds=int(properties.get("Timeout", 3)),
            )
            for instance in range(1, (max(1, self.options.concurrency) if events else 1) + 1):
                os.environ.update(environment)  # the handler reads its settings at import, as at a cold start
                try:
                    _module, handler = load_handler(
                        code_dir,
                        str(properties["Handler"]),
                        f"_radimpress_local_{self.instance}_{logical_id}_{instance}",
                    )
                finally:
                    os.environ.clear()
                    os.environ.update(base)
                self.handlers.setdefault(logical_id, handler)
                for event_name, event in events.items():
                    poller = self._poller(logical_id, event, handler)
                    self.pollers[f"{logical_id}.{event_name}#{instance}"] = poller
        # Variables read at call time (Powertools' LOG_LEVEL, namespace): the union, which agrees here.
        for environment in environments.values():
            os.environ.update(environment)

    def _start_apis(self) -> None:
        """One loopback server per REST API of the template, routing its functions' Api events."""
        stack = self.require_stack
        for api in stack.resolved.of_type("AWS::Serverless::Api"):
            routes = [
                Route(str(event["Method"]).upper(), str(event["Path"]), self.handlers[logical_id], function)
                for logical_id, function in self.functions.items()
                for event in self._events(logical_id, "Api")
                if event.get("RestApiId") == stack.ref(api.logical_id)
            ]
            self.apis[api.logical_id] = LocalRestApi(
                routes,
                stage=str(api.properties.get("StageName", "Prod")),
                binary_media_types=[str(t) for t in api.properties.get("BinaryMediaTypes") or []],
            ).start()

    def _events(self, logical_id: str, kind: str) -> list[Mapping[str, Any]]:
        events = self.require_stack.resource(logical_id).properties.get("Events") or {}
        return [event["Properties"] for event in events.values() if event.get("Type") == kind]

    def _poller(self, logical_id: str, event: Mapping[str, Any], handler: Handler) -> SqsPoller:
        stack = self.require_stack
        queue_arn = str(event["Queue"])
        queue = next(
            (
                q.logical_id
                for q in stack.resolved.of_type("AWS::SQS::Queue")
                if stack.attribute(q.logical_id, "Arn") == queue_arn
            ),
            None,
        )
        if queue is None:
            raise ConfigurationError("the SQS event's queue is not in the template", where=logical_id)
        window = float(event.get("MaximumBatchingWindowInSeconds", 0))
        what = f"{logical_id} {queue} MaximumBatchingWindowInSeconds"
        if (
            self.options.batching_window is not None
            and window > self.options.batching_window
            and all(a.what != what for a in self.adjustments)
        ):
            self.adjustments.append(Adjustment(what, f"{window:g} s", f"{self.options.batching_window:g} s"))
        if self.options.batching_window is not None:
            window = min(window, self.options.batching_window)
        source = EventSource(
            queue_url=stack.ref(queue),
            queue_arn=queue_arn,
            region=stack.region,
            batch_size=int(event.get("BatchSize", 10)),
            batching_window_seconds=window,
            report_batch_item_failures="ReportBatchItemFailures"
            in (event.get("FunctionResponseTypes") or []),
        )
        return SqsPoller(self.client("sqs"), source, handler, self.functions[logical_id])

    # ------------------------------------------------------------------ running

    def start_pollers(self) -> None:
        """One thread per poller: per SQS event source mapping and concurrent execution."""
        self._stop.clear()
        for name, poller in self.pollers.items():
            thread = threading.Thread(
                target=poller.run, args=(self._stop,), name=f"poller-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop_pollers(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    def pollers_for(self, queue_logical_id: str) -> list[SqsPoller]:
        """The pollers (one per concurrent execution) of the event source reading the queue."""
        url = self.require_stack.ref(queue_logical_id)
        found = [poller for poller in self.pollers.values() if poller.source.queue_url == url]
        if not found:
            raise KeyError(queue_logical_id)
        return found

    def stats_for(self, queue_logical_id: str) -> PollerStats:
        """The totals of every poller reading the queue."""
        total = PollerStats()
        for poller in self.pollers_for(queue_logical_id):
            stats = poller.stats
            total.invocations += stats.invocations
            total.received += stats.received
            total.deleted += stats.deleted
            total.failed += stats.failed
            total.redelivered += stats.redelivered
            total.handler_errors += stats.handler_errors
            total.busy = total.busy or stats.busy
            total.last_error = stats.last_error or total.last_error
        return total

    def send(self, items: Iterable[FeedItem]) -> Sent:
        """Send the items to the IngestQueue as a producer would (see :mod:`radimpress.local.producer`)."""
        stack = self.require_stack
        ingest = self.pollers_for("IngestQueue")
        self.producer = Producer(
            self.client("sqs"),
            self.client("s3"),
            queue_url=stack.ref("IngestQueue"),
            bucket=stack.ref("DataBucket"),
            claim_check_over=self.options.claim_check_over,
            max_queued=self.options.max_queued,
            consumed=lambda: sum(poller.stats.deleted for poller in ingest),
            https_url=self.https_entry_url() if self.options.https_every else None,
            https_every=self.options.https_every,
            mllp=self._mllp_entry().send if self.options.mllp_every else None,
            mllp_every=self.options.mllp_every,
        )
        return self.producer.send(items)

    def _mllp_entry(self) -> LocalMllpEntry:
        """The MLLP listener in front of the IngestQueue (started on first use, stopped by close)."""
        if self.mllp_entry is None:
            stack = self.require_stack
            spool = self.options.workdir / "mllp-spool"
            self.mllp_entry = LocalMllpEntry(stack.ref("IngestQueue"), stack.ref("DataBucket"), spool).start()
        return self.mllp_entry

    def https_entry_url(self) -> str | None:
        """The URL of the first POST route of the template's REST APIs (their loopback stand-ins), if any."""
        for api in self.apis.values():
            for method, path in api.routes:
                if method == "POST":
                    return api.url + path
        return None

    def queue_depth(self, logical_id: str) -> int:
        """Messages in the queue: visible, in flight, delayed."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.require_stack.ref(logical_id),
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def settled(self) -> bool:
        """Nothing left anywhere: checked upstream to downstream, so nothing can be in between."""
        endpoint = self.endpoint
        return (
            self.queue_depth("IngestQueue") == 0
            and (endpoint is None or endpoint.pending == 0)
            and self.queue_depth("CompletionQueue") == 0
            and not any(poller.stats.busy for poller in self.pollers.values())
        )

    def wait_until_settled(self, timeout: float = 600.0, *, tick: Callable[[], None] | None = None) -> bool:
        """Block until every message is a result, an error record or in a DLQ (settled twice in a row)."""
        deadline = time.monotonic() + timeout
        in_a_row = 0
        while time.monotonic() < deadline:
            if tick is not None:
                tick()
            in_a_row = in_a_row + 1 if self.settled() else 0
            if in_a_row >= 2:
                return True
            time.sleep(_SETTLE_POLL)
        return False

    def run_nightly(self, day: date) -> ScheduledRun:
        """The schedule's target for ``day``, with the function's retries and OnFailure destination."""
        stack = self.require_stack
        schedule = stack.resolved.of_type("AWS::Scheduler::Schedule")[0]
        target = schedule.properties["Target"]
        function = next(name for name, spec in self.functions.items() if spec.arn == target["Arn"])
        invoke_config = stack.resource(function).properties.get("EventInvokeConfig", {})
        destination = invoke_config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        dlq_url = next(
            (
                stack.ref(q.logical_id)
                for q in stack.resolved.of_type("AWS::SQS::Queue")
                if stack.attribute(q.logical_id, "Arn") == destination
            ),
            None,
        )
        return invoke_scheduled(
            self.handlers[function],
            self.functions[function],
            schedule_event(target.get("Input"), day=day),
            maximum_retry_attempts=int(invoke_config.get("MaximumRetryAttempts", 2)),
            sqs=self.client("sqs"),
            on_failure_queue_url=dlq_url,
        )

    # ------------------------------------------------------------------ reading back

    def keys(self, prefix: str) -> Iterator[str]:
        bucket = self.require_stack.ref("DataBucket")
        for page in self.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield str(item["Key"])

    def download(self, prefixes: Iterable[str]) -> Path:
        """Copy the objects under ``prefixes`` to ``<workdir>/s3/<bucket>/<key>``; returns the mirror root."""
        bucket = self.require_stack.ref("DataBucket")
        mirror = self.options.workdir / "s3"
        shutil.rmtree(mirror / bucket, ignore_errors=True)  # a previous run's copy of a same-named bucket
        for prefix in prefixes:
            for key in self.keys(prefix):
                target = mirror / bucket / key
                target.parent.mkdir(parents=True, exist_ok=True)
                body = self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
                target.write_bytes(body)
        return mirror

    def glue_tables(self) -> tuple[str, list[GlueTable]]:
        """The Glue database's name and its tables, as the embedded Glue catalog holds them."""
        stack = self.require_stack
        database = stack.resolved.of_type("AWS::Glue::Database")[0]
        name = stack.ref(database.logical_id)
        tables = self.client("glue").get_tables(DatabaseName=name)["TableList"]
        return name, [GlueTable.from_glue(table) for table in tables]

    def drain(self, logical_id: str) -> list[dict[str, Any]]:
        """Every message of a queue (a DLQ, after the run), received and left in place."""
        messages: list[dict[str, Any]] = []
        seen: set[str] = set()
        url = self.require_stack.ref(logical_id)
        while True:
            batch = (
                self.client("sqs")
                .receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
                )
                .get("Messages", [])
            )
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                return messages
            seen.update(m["MessageId"] for m in fresh)
            messages.extend(fresh)
