"""Per-report metrics beyond ROUGE that ``compare`` reports beside it: the hook for observation F1.

A :class:`PairMetric` scores each (draft, radiologist impression) pair in [0, 1]; ``compare`` then shows
its mean per engine, the delta, and a box per engine in the plots, exactly as for the ROUGE metrics. A
metric is registered under a name (:func:`register_metric`) and chosen with ``compare --metric NAME``.
``observation_f1`` is registered here: the F1 of the CheXpert observations the draft states against those
the radiologist's impression states (:func:`radimpress.scoring.observations.observation_f1`), 1.0 when
both state the same, so a normal draft for a normal study agrees. Another metric plugs in as::

    register_metric("my_metric", MyMetric)   # a class or factory taking no arguments
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from radimpress.errors import ConfigurationError
from radimpress.scoring.observations import observation_f1

__all__ = ["PairMetric", "metric_names", "open_metric", "register_metric"]


class PairMetric(Protocol):
    """Scores each pair; ``None`` where the metric is undefined for it (e.g. no observation in either)."""

    name: str

    def score(self, drafts: Sequence[str], references: Sequence[str]) -> list[float | None]: ...


_REGISTRY: dict[str, Callable[[], PairMetric]] = {}


def register_metric(name: str, factory: Callable[[], PairMetric]) -> None:
    """Make ``compare --metric name`` build the metric with ``factory()``."""
    _REGISTRY[name] = factory


def metric_names() -> list[str]:
    return sorted(_REGISTRY)


def open_metric(name: str) -> PairMetric:
    """The registered metric ``name``; an unknown name raises :class:`ConfigurationError`."""
    if name not in _REGISTRY:
        known = ", ".join(metric_names()) or "none registered yet"
        raise ConfigurationError(f"unknown metric {name!r}; known: {known}", where="--metric")
    return _REGISTRY[name]()


class ObservationF1:
    """CheXpert observation F1 of each draft against its reference (see the module docstring)."""

    name = "observation_f1"

    def score(self, drafts: Sequence[str], references: Sequence[str]) -> list[float | None]:
        return [observation_f1(d, r) for d, r in zip(drafts, references, strict=True)]


register_metric(ObservationF1.name, ObservationF1)
