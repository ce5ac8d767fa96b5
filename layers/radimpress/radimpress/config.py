"""The functions' configuration: environment variables read once, at cold start, into validated models.

Each Lambda handler calls ``<Function>Settings.from_env(os.environ)`` at import, so a missing or invalid
variable fails the cold start (the function never takes a batch it cannot finish) instead of a record
mid-batch. Domain code receives these models or plain values and never reads ``os.environ``. Variable names
are the contract in ``docs/architecture.md``.

A :class:`~radimpress.errors.ConfigurationError` names the offending variables, never their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from radimpress.drafting.engines.contract import ModelContract
from radimpress.drafting.prompts import STUDY_PROMPT, validate_template
from radimpress.errors import ConfigurationError

__all__ = ["CompletionSettings", "HttpsIntakeSettings", "IngestSettings", "NightlySettings"]


class _Settings(BaseModel):
    """Fields are aliased to their environment variable; unknown variables are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        """The settings in ``environ``; ConfigurationError listing every missing or invalid variable."""
        aliases = [field.alias or name for name, field in cls.model_fields.items()]
        # An empty variable counts as unset: a template parameter left blank must not become "".
        present = {alias: environ[alias] for alias in aliases if environ.get(alias, "").strip()}
        try:
            return cls.model_validate(present)
        except ValidationError as exc:
            names = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            # ``from None``: pydantic's error text quotes the input values, which must not reach a log.
            raise ConfigurationError(
                f"missing or invalid environment variables: {', '.join(names)}", where=",".join(names)
            ) from None


class IngestSettings(_Settings):
    """IngestFunction: where to archive and record, which endpoint to call, how to build the request."""

    bucket_name: str = Field(alias="BUCKET_NAME", min_length=1)
    idempotency_table: str = Field(alias="IDEMPOTENCY_TABLE", min_length=1)
    endpoint_name: str = Field(alias="ENDPOINT_NAME", min_length=1)
    model_contract: ModelContract = Field(alias="MODEL_CONTRACT")
    prompt_template: str = Field(alias="PROMPT_TEMPLATE", default=STUDY_PROMPT)
    pseudonym_key_secret_arn: str = Field(alias="PSEUDONYM_KEY_SECRET_ARN", min_length=1)

    @field_validator("prompt_template")
    @classmethod
    def _one_placeholder(cls, value: str) -> str:
        try:
            return validate_template(value)
        except ConfigurationError as exc:
            raise ValueError(str(exc)) from None


class HttpsIntakeSettings(_Settings):
    """HttpsIngestFunction: the queue it feeds, and the bucket for claim checks over SQS's 256 KB."""

    ingest_queue_url: str = Field(alias="INGEST_QUEUE_URL", min_length=1)
    bucket_name: str = Field(alias="BUCKET_NAME", min_length=1)


class CompletionSettings(_Settings):
    """CompletionFunction: where results go, how to read the endpoint's output, what model produced it,
    and where each draft goes back as HL7 (``OUTBOUND_QUEUE_URL``; unset: nowhere), under which OBX-3
    (``DRAFT_OBSERVATION_CODE``, ``code^text^system``; default LOINC 19005-8)."""

    bucket_name: str = Field(alias="BUCKET_NAME", min_length=1)
    model_contract: ModelContract = Field(alias="MODEL_CONTRACT")
    model_id: str = Field(alias="MODEL_ID", min_length=1)
    outbound_queue_url: str | None = Field(alias="OUTBOUND_QUEUE_URL", default=None)
    draft_observation_code: str = Field(alias="DRAFT_OBSERVATION_CODE", default="19005-8^Impression^LN")

    @field_validator("draft_observation_code")
    @classmethod
    def _coded(cls, value: str) -> str:
        parts = value.split("^")
        if len(parts) != 3 or not all(part.strip() for part in parts):
            raise ValueError("expected code^text^system")
        return value

    @property
    def observation_code(self) -> tuple[str, str, str]:
        code, text, system = (part.strip() for part in self.draft_observation_code.split("^"))
        return code, text, system


class NightlySettings(_Settings):
    """NightlyEvaluationFunction: the bucket, and the time zone in which "yesterday" is reckoned."""

    bucket_name: str = Field(alias="BUCKET_NAME", min_length=1)
    schedule_time_zone: str = Field(alias="SCHEDULE_TIME_ZONE", default="UTC")

    @field_validator("schedule_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule_time_zone)
