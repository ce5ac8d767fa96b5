"""Settings are read once from the environment; a bad environment fails with the variable names only."""

from __future__ import annotations

import pytest

from radimpress.config import CompletionSettings, IngestSettings, NightlySettings
from radimpress.drafting.prompts import STUDY_PROMPT
from radimpress.errors import ConfigurationError

INGEST_ENV = {
    "BUCKET_NAME": "radimpress-data-dev",
    "IDEMPOTENCY_TABLE": "radimpress-idempotency-dev",
    "ENDPOINT_NAME": "radimpress-dev-endpoint",
    "MODEL_CONTRACT": "jumpstart-v1",
    "PSEUDONYM_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:pseudonym-AbCdEf",
}


def test_ingest_settings_read_every_variable_and_default_the_prompt() -> None:
    # Given the environment the template gives IngestFunction, without PROMPT_TEMPLATE
    # When the settings are read
    settings = IngestSettings.from_env(INGEST_ENV)
    # Then every variable is in its field and the prompt is the study's
    assert settings.bucket_name == "radimpress-data-dev"
    assert settings.idempotency_table == "radimpress-idempotency-dev"
    assert settings.endpoint_name == "radimpress-dev-endpoint"
    assert settings.model_contract == "jumpstart-v1"
    assert settings.pseudonym_key_secret_arn.endswith("pseudonym-AbCdEf")
    assert settings.prompt_template == STUDY_PROMPT


def test_missing_and_invalid_variables_are_named_without_their_values() -> None:
    # Given an environment missing two variables and with an unknown model contract
    env = {**INGEST_ENV, "MODEL_CONTRACT": "secret-contract-value"}
    del env["BUCKET_NAME"], env["ENDPOINT_NAME"]
    # When the settings are read
    with pytest.raises(ConfigurationError) as caught:
        IngestSettings.from_env(env)
    # Then the error names all three variables, and no value appears in it or in its chain
    assert caught.value.where == "BUCKET_NAME,ENDPOINT_NAME,MODEL_CONTRACT"
    assert "secret-contract-value" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_empty_variable_counts_as_missing() -> None:
    # Given a blank template parameter
    # When the settings are read / Then the variable is reported missing
    with pytest.raises(ConfigurationError, match="IDEMPOTENCY_TABLE"):
        IngestSettings.from_env({**INGEST_ENV, "IDEMPOTENCY_TABLE": "  "})


def test_a_prompt_template_needs_exactly_one_placeholder() -> None:
    # Given a configured prompt without {findings}
    # When the settings are read / Then PROMPT_TEMPLATE is rejected
    with pytest.raises(ConfigurationError, match="PROMPT_TEMPLATE"):
        IngestSettings.from_env({**INGEST_ENV, "PROMPT_TEMPLATE": "Summarise: {report}"})
    # and a template with the placeholder and other braces is kept as given
    custom = IngestSettings.from_env({**INGEST_ENV, "PROMPT_TEMPLATE": "Impression {json}: {findings}"})
    assert custom.prompt_template == "Impression {json}: {findings}"


def test_completion_settings() -> None:
    # Given CompletionFunction's environment with a TGI endpoint
    env = {"BUCKET_NAME": "b", "MODEL_CONTRACT": "tgi", "MODEL_ID": "flan-t5-xl-ft-2024-01"}
    # When read / Then
    settings = CompletionSettings.from_env(env)
    assert (settings.bucket_name, settings.model_contract, settings.model_id) == (
        "b",
        "tgi",
        "flan-t5-xl-ft-2024-01",
    )
    with pytest.raises(ConfigurationError, match="MODEL_ID"):
        CompletionSettings.from_env({"BUCKET_NAME": "b", "MODEL_CONTRACT": "tgi"})


def test_nightly_settings_zone_defaults_to_utc_and_must_exist() -> None:
    # Given no schedule time zone / When read / Then UTC
    assert NightlySettings.from_env({"BUCKET_NAME": "b"}).schedule_time_zone == "UTC"
    # Given a configured zone / Then it is a usable ZoneInfo
    settings = NightlySettings.from_env({"BUCKET_NAME": "b", "SCHEDULE_TIME_ZONE": "Europe/Zurich"})
    assert settings.zone.key == "Europe/Zurich"
    # Given an unknown zone / Then the variable is named
    with pytest.raises(ConfigurationError, match="SCHEDULE_TIME_ZONE"):
        NightlySettings.from_env({"BUCKET_NAME": "b", "SCHEDULE_TIME_ZONE": "Mars/Olympus"})
