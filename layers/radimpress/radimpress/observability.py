"""The one place that creates the Powertools ``logger``, ``metrics`` and tracer (:func:`get_tracer`).

Everything else imports these objects; nothing else constructs a Powertools logger, metrics or tracer.
The service is ``radimpress`` for all three. Reports carry patient data, so the rules are: log with keyword
fields that are keys or counts (``inference_id``, ``message_id``, ``error_type``), never a message body,
findings or a PID field; never ``log_event=True``; tracer response and error capture off.
"""

from __future__ import annotations

import functools
import logging
import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

__all__ = ["NAMESPACE", "SERVICE", "MetricUnit", "count", "get_tracer", "logger", "metrics", "publish"]

SERVICE = "radimpress"
#: CloudWatch namespace of every metric; ``POWERTOOLS_METRICS_NAMESPACE`` (set by the template) overrides.
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Radimpress"

logger = Logger(service=SERVICE)
# Powertools writes its own JSON lines; a handler on the root logger (Lambda's runtime installs one, and
# absl does on import) would print every record a second time in plain text.
logging.getLogger(logger.name).propagate = False
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
# The AWS SDK's debug records print each request's parameters, message bodies included (SendMessageBatch's
# entries): they stay off however the root logger is set (Lambda's log-level controls can make it DEBUG).
for _sdk in ("botocore", "boto3", "urllib3", "s3transfer"):
    logging.getLogger(_sdk).setLevel(logging.WARNING)


@functools.cache
def get_tracer() -> Tracer:
    """The Powertools tracer, created on first use.

    Creating it imports the X-Ray SDK (about 0.2 s, most of what boto3 itself costs) even when tracing is
    disabled, so only handlers that trace pay for it. IngestFunction does not: its cold starts multiply
    with the feed's concurrency, and Lambda's active tracing still records its invocations.
    """
    return Tracer(service=SERVICE)


def count(name: str, value: int = 1) -> None:
    """Add ``value`` to the PascalCase outcome counter ``name`` (flushed by the handler's ``log_metrics``)."""
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def publish(
    name: str, value: float, *, dimensions: dict[str, str], unit: MetricUnit = MetricUnit.NoUnit
) -> None:
    """Emit one metric now, as its own EMF document, with its own ``dimensions`` (``{"Metric": "rouge1"}``).

    For figures that differ only by a dimension value (one per ROUGE variant), which one ``metrics`` flush
    cannot carry: Powertools metrics share one dimension set per flush.
    """
    with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE) as metric:
        for key, dimension_value in dimensions.items():
            metric.add_dimension(name=key, value=dimension_value)
