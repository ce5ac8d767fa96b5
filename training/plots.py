"""Box plots of the per-report scores of two engines, one panel per metric, as PNG and SVG.

matplotlib with its Agg backend (no display, no browser), fixed figure size and no timestamps in the
files' metadata, so the same scores give the same SVG. Imported only when ``compare --plots`` is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["box_plots"]


def box_plots(
    scores: Mapping[str, Mapping[str, Sequence[float]]],
    out: Path,
    *,
    title: str,
    stem: str = "compare",
) -> list[Path]:
    """``scores[metric][engine label]`` as box plots in ``out/<stem>.png`` and ``.svg``; returns the paths."""
    import matplotlib  # noqa: PLC0415 - heavy and only for --plots

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - after the backend is chosen

    matplotlib.rcParams["svg.hashsalt"] = "radimpress"  # stable element ids
    metrics = list(scores)
    figure, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 4.0), squeeze=False)
    for axis, metric in zip(axes[0], metrics, strict=True):
        labels = list(scores[metric])
        axis.boxplot([list(scores[metric][label]) for label in labels], showmeans=True)
        axis.set_xticks(range(1, len(labels) + 1), labels, rotation=15)
        axis.set_title(metric)
        axis.set_ylim(-0.02, 1.02)
        axis.grid(axis="y", alpha=0.3)
    figure.suptitle(title)
    figure.tight_layout()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None, "Creator": None})):
        path = out / f"{stem}{suffix}"
        figure.savefig(path, format=suffix[1:], metadata=metadata)
        written.append(path)
    plt.close(figure)
    return written
