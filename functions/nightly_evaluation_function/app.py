"""NightlyEvaluationFunction: one day's results -> the study's ROUGE table (S3 JSON + CSV) and EMF metrics."""

from __future__ import annotations

import os

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from radimpress.adapters.parquet import read_results
from radimpress.adapters.s3 import S3ObjectStore
from radimpress.config import NightlySettings
from radimpress.observability import get_tracer, logger
from radimpress.pipeline.nightly import NightlyEvent, evaluate_day, yesterday
from radimpress.ports import utc_now

TRACER = get_tracer()
SETTINGS = NightlySettings.from_env(os.environ)
STORE = S3ObjectStore(SETTINGS.bucket_name)


@logger.inject_lambda_context(log_event=False)
@TRACER.capture_lambda_handler(capture_response=False, capture_error=False)
def lambda_handler(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    request = parse(event=event, model=NightlyEvent)  # {} from the scheduler, {"date": ...} to rerun a day
    day = request.day or yesterday(utc_now(), SETTINGS.zone)
    return evaluate_day(day, store=STORE, read=read_results).as_dict()
