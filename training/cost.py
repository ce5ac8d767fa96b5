"""What a training job may cost: instance-hours times an hourly price, as a ceiling and an expectation.

The ceiling is the job's stopping condition (``MaxRuntimeInSeconds``): SageMaker bills per second of
training, so a job never costs more than ``instances × max runtime × price``. The expectation uses the
hours you give (``--expected-hours``, e.g. from an earlier run). Prices are SageMaker on-demand training
list prices in us-east-1 as recorded in :data:`LIST_PRICES_USD`; they change and differ per region and
contract, so ``--price-per-hour`` overrides them, and an instance type without a recorded price gives no
figure rather than a guess. Storage (the training volume) and S3 are not included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["LIST_PRICES_USD", "CostEstimate", "estimate_cost"]

#: USD per instance-hour, SageMaker training, on demand, us-east-1 (recorded 2026; check before relying).
LIST_PRICES_USD: Mapping[str, float] = {
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p3.16xlarge": 28.152,
}


class _Job(Protocol):
    @property
    def instance_type(self) -> str: ...
    @property
    def instance_count(self) -> int: ...
    @property
    def max_runtime_seconds(self) -> int: ...


@dataclass(frozen=True, slots=True)
class CostEstimate:
    instance_type: str
    instance_count: int
    price_per_hour: float | None
    price_source: str
    ceiling_hours: float
    ceiling_usd: float | None
    expected_hours: float | None
    expected_usd: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "price_per_instance_hour_usd": self.price_per_hour,
            "price_source": self.price_source,
            "ceiling_hours": round(self.ceiling_hours, 2),
            "ceiling_usd": None if self.ceiling_usd is None else round(self.ceiling_usd, 2),
            "expected_hours": self.expected_hours,
            "expected_usd": None if self.expected_usd is None else round(self.expected_usd, 2),
        }


def estimate_cost(
    job: _Job, *, price_per_hour: float | None = None, expected_hours: float | None = None
) -> CostEstimate:
    """The ceiling (max runtime) and, with ``expected_hours``, the expected cost of ``job``."""
    if price_per_hour is not None:
        price, source = price_per_hour, "--price-per-hour"
    elif job.instance_type in LIST_PRICES_USD:
        price, source = LIST_PRICES_USD[job.instance_type], "list price, us-east-1, on demand"
    else:
        price, source = None, "no recorded price: pass --price-per-hour"
    hours = job.max_runtime_seconds / 3600.0
    per_hour = None if price is None else price * job.instance_count
    return CostEstimate(
        job.instance_type,
        job.instance_count,
        price,
        source,
        hours,
        None if per_hour is None else per_hour * hours,
        expected_hours,
        None if per_hour is None or expected_hours is None else per_hour * expected_hours,
    )
