"""radimpress: draft radiology impressions from hospital report feeds."""

__version__ = "0.1.0"
