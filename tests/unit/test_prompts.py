"""The study's prompt: built around findings, validated, and read back by the local endpoint."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from radimpress.drafting.prompts import STUDY_PROMPT, build_prompt, findings_from_prompt, validate_template
from radimpress.errors import ConfigurationError
from radimpress.language.normalise import reflow


def test_the_study_prompt_wraps_the_reflowed_findings() -> None:
    # Given findings as a wrapped report carries them
    findings = "Heart size normal.  Lungs clear.\nNo effusion or\r\npneumothorax."

    # When the prompt is built with the default template
    prompt = build_prompt(findings)

    # Then it is the study's instruction followed by the findings on one line, words unchanged
    assert STUDY_PROMPT == (
        "Generate radiology report impressions based on the following findings. Findings: {findings}"
    )
    assert prompt == (
        "Generate radiology report impressions based on the following findings. "
        "Findings: Heart size normal. Lungs clear. No effusion or pneumothorax."
    )


def test_a_template_may_hold_other_braces_as_text() -> None:
    # Given a configured template with literal braces besides the placeholder
    template = 'Answer as {"impression": ...}. Findings: {findings} [end]'

    # When findings are put in and read back
    prompt = build_prompt("Clear lungs {sic}.", template)

    # Then only the placeholder was replaced, and the inverse recovers the findings
    assert prompt == 'Answer as {"impression": ...}. Findings: Clear lungs {sic}. [end]'
    assert findings_from_prompt(prompt, template) == "Clear lungs {sic}."


@pytest.mark.parametrize("template", ["No placeholder at all", "{findings} and {findings}", "{finding}", ""])
def test_a_template_without_exactly_one_placeholder_is_a_configuration_error(template: str) -> None:
    # Given a template with zero or two {findings}, Then every entry point refuses it
    with pytest.raises(ConfigurationError, match="exactly one"):
        validate_template(template)
    with pytest.raises(ConfigurationError):
        build_prompt("Lungs clear.", template)
    with pytest.raises(ConfigurationError):
        findings_from_prompt("Lungs clear.", template)


def test_validate_template_returns_a_valid_template_unchanged() -> None:
    assert validate_template(STUDY_PROMPT) is STUDY_PROMPT


@pytest.mark.parametrize(
    ("prompt", "template", "expected"),
    [
        # another instruction: the whole prompt is taken as findings
        ("Summarise: lungs clear.", STUDY_PROMPT, "Summarise: lungs clear."),
        # raw findings sent without any instruction
        ("Lungs clear.", STUDY_PROMPT, "Lungs clear."),
        # prefix and suffix overlap inside a prompt too short to hold both
        ("aba", "ab{findings}ba", "aba"),
        # a bare placeholder template is the identity
        ("Lungs clear.", "{findings}", "Lungs clear."),
        # the template with empty findings
        ("<>", "<{findings}>", ""),
    ],
)
def test_findings_from_prompt_falls_back_to_the_whole_prompt(
    prompt: str, template: str, expected: str
) -> None:
    assert findings_from_prompt(prompt, template) == expected


@given(
    findings=st.text(),
    prefix=st.text().filter(lambda s: "{findings}" not in s),
    suffix=st.text().filter(lambda s: "{findings}" not in s),
)
def test_findings_from_prompt_inverts_build_prompt(findings: str, prefix: str, suffix: str) -> None:
    # Given any template and any findings, When built and read back, Then the reflowed findings come back
    template = f"{prefix}{{findings}}{suffix}"
    if template.count("{findings}") != 1:
        return  # a second placeholder formed across the joins: not a valid template
    assert findings_from_prompt(build_prompt(findings, template), template) == reflow(findings)
    assert findings_from_prompt(build_prompt(findings)) == reflow(findings)
