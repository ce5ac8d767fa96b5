"""The services behind the Lambda functions: ingest, completion, nightly evaluation, replay, records."""
