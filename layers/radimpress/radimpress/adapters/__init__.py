"""Production adapters of the ports in :mod:`radimpress.ports`: the only modules (with ``radimpress.local``)
that import boto3, botocore or pyarrow.

Each adapter creates its client lazily, once per container, on first use, so importing one is cheap and a
cold start that never needs a client never pays for it. boto3 honours ``AWS_ENDPOINT_URL`` (and the
per-service ``AWS_ENDPOINT_URL_<SERVICE>``) by itself, which is how ``make demo`` points these same
adapters at the embedded AWS.

Nothing is re-exported here: import the module you need (``radimpress.adapters.s3``), so the ingest path
never imports pyarrow through this package.
"""
