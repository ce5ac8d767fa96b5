"""The prompt sent to the model: the study's instruction around a report's findings.

A template is plain text with exactly one ``{findings}`` placeholder. It is filled by literal replacement,
not ``str.format``, so a configured template may contain other braces (``{`` in an example, JSON) as text.
The findings are reflowed first (:func:`~radimpress.language.normalise.reflow`): the model reads the same
prompt whether the feed wrapped the findings at 60 columns, per OBX or with ``\\.br\\``.
:func:`findings_from_prompt` is the inverse, for the local endpoint's embedded engine, which like a real
endpoint receives only the prompt.
"""

from __future__ import annotations

from radimpress.errors import ConfigurationError
from radimpress.language.normalise import reflow

__all__ = [
    "PLACEHOLDER",
    "STUDY_PROMPT",
    "build_prompt",
    "findings_from_prompt",
    "validate_template",
]

PLACEHOLDER = "{findings}"
STUDY_PROMPT = "Generate radiology report impressions based on the following findings. Findings: {findings}"


def validate_template(template: str) -> str:
    """``template`` unchanged when it holds exactly one ``{findings}``; :class:`ConfigurationError` if not."""
    count = template.count(PLACEHOLDER)
    if count != 1:
        raise ConfigurationError(
            f"a prompt template needs exactly one {PLACEHOLDER} placeholder, this one has {count}",
            where="PROMPT_TEMPLATE",
        )
    return template


def build_prompt(findings: str, template: str = STUDY_PROMPT) -> str:
    """The prompt for ``findings``: ``template`` with its placeholder replaced by the reflowed text."""
    prefix, suffix = validate_template(template).split(PLACEHOLDER)
    return f"{prefix}{reflow(findings)}{suffix}"


def findings_from_prompt(prompt: str, template: str = STUDY_PROMPT) -> str:
    """The findings :func:`build_prompt` put into ``prompt``; all of it if it does not fit ``template``.

    A prompt that does not start with the template's prefix and end with its suffix was not built from it
    (another template, or a caller sending raw findings): all of it is then taken as the findings.
    """
    prefix, suffix = validate_template(template).split(PLACEHOLDER)
    fits = len(prompt) >= len(prefix) + len(suffix) and prompt.startswith(prefix) and prompt.endswith(suffix)
    if not fits:
        return prompt
    return prompt[len(prefix) : len(prompt) - len(suffix)]
