"""Readers of the public report collections and of the pipeline's own results, one module per source.

Every reader yields :class:`~training.sources.base.SourcedPair` values: a
:class:`~radimpress.datasets.corpus.ReportPair` plus the subject (patient) it belongs to when the source
says, so that :mod:`training.splitting` keeps one patient's studies on one side of the split.
"""

from training.sources.base import SourcedPair, sourced

__all__ = ["SourcedPair", "sourced"]
