"""Scoring: ROUGE as the study computed it, the study's table, and offline evaluation of an engine."""
