"""Engines that draft impressions, and a registry that builds one by name.

``build_engine()`` gives the embedded CPU engine, ``consensus``
(:mod:`radimpress.drafting.engines.consensus`); ``build_engine("retrieval")`` the first nearest-neighbour
engine, kept as its baseline (:mod:`radimpress.drafting.engines.retrieval`). Engine modules are imported only
when built, so importing this package stays cheap. The serving contracts of a SageMaker endpoint are in
:mod:`radimpress.drafting.engines.contract`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from radimpress.drafting.engines.base import Draft, Engine
from radimpress.drafting.prompts import STUDY_PROMPT
from radimpress.errors import ConfigurationError

__all__ = [
    "DEFAULT_ENGINE",
    "Draft",
    "Engine",
    "EngineFactory",
    "build_engine",
    "engine_names",
    "register_engine",
]

if TYPE_CHECKING:
    from pathlib import Path

EngineFactory = Callable[..., Engine]


def _retrieval(*, path: str | Path | None = None, exclude_identical_findings: bool = False) -> Engine:
    from pathlib import Path  # noqa: PLC0415 - this package stays light: it is on the ingest import path

    from radimpress.drafting.engines.retrieval import RetrievalEngine  # noqa: PLC0415 - only when built

    return RetrievalEngine.from_jsonl(
        Path(path) if path is not None else None, exclude_identical_findings=exclude_identical_findings
    )


def _consensus(
    *,
    path: str | Path | None = None,
    exclude_identical_findings: bool = False,
    refresh_seconds: float | None = None,
) -> Engine:
    from radimpress.drafting.engines.consensus.engine import ConsensusEngine  # noqa: PLC0415 - only when built

    def build() -> Engine:
        return ConsensusEngine.from_path(path, exclude_identical_findings=exclude_identical_findings)

    if refresh_seconds is None:
        return build()
    if path is None:
        raise ConfigurationError("refresh_seconds needs the index file to watch (path)", where="path")
    from radimpress.drafting.engines.refreshing import RefreshingEngine  # noqa: PLC0415

    return RefreshingEngine(build, path, check_seconds=refresh_seconds)


def _flan_t5(
    *,
    checkpoint: str | Path,
    device: str = "auto",
    dtype: str = "auto",
    template: str = STUDY_PROMPT,
    batch_size: int = 8,
    threads: int | None = None,
    model_id: str | None = None,
) -> Engine:
    from radimpress.drafting.engines.seq2seq import Seq2SeqEngine  # noqa: PLC0415 - torch is loaded only when built

    return Seq2SeqEngine.from_pretrained(
        checkpoint,
        device=device,
        dtype=dtype,
        template=template,
        batch_size=batch_size,
        threads=threads,
        model_id=model_id,
    )


_FACTORIES: dict[str, EngineFactory] = {"retrieval": _retrieval, "flan-t5": _flan_t5, "consensus": _consensus}
DEFAULT_ENGINE = "consensus"


def register_engine(name: str, factory: EngineFactory) -> None:
    """Make ``build_engine(name, **options)`` call ``factory(**options)``; a later registration replaces."""
    _FACTORIES[name] = factory


def engine_names() -> tuple[str, ...]:
    """The names :func:`build_engine` accepts, sorted."""
    return tuple(sorted(_FACTORIES))


def build_engine(name: str = DEFAULT_ENGINE, **options: Any) -> Engine:
    """The engine registered as ``name`` (default: ``consensus``), built with ``options``.

    ``consensus`` and ``retrieval`` take ``path`` (reports JSONL, default the bundled IU reports) and
    ``exclude_identical_findings``; ``consensus`` also takes ``refresh_seconds``: the engine then watches
    ``path`` and serves a rebuilt index when the file changes (``radimpress index refresh``, the feedback
    loop; :mod:`radimpress.drafting.engines.refreshing`). ``flan-t5`` takes ``checkpoint`` (a local seq2seq
    checkpoint directory), ``device``, ``dtype``, ``template``, ``batch_size``, ``threads`` and ``model_id``
    (see :meth:`radimpress.drafting.engines.seq2seq.Seq2SeqEngine.from_pretrained`; needs
    ``radimpress[transformers]``). An unknown name or option raises :class:`ConfigurationError`.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ConfigurationError(
            f"unknown engine {name!r}; known: {', '.join(engine_names())}", where="engine"
        )
    import inspect  # noqa: PLC0415 - building an engine is rare; importing this package is not

    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:  # an option the factory does not take, or a required one missing
        raise ConfigurationError(f"invalid options for engine {name!r}: {exc}", where="engine") from exc
    return factory(**options)
