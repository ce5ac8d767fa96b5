"""Offline training tools: prepare the JumpStart fine-tuning data, launch the job, compare the models.

Each module is a pure domain part (pairs in, files/job definitions/tables out) and a thin adapter part
(files, the ``sagemaker`` SDK, boto3), runnable as ``python -m training.<module>`` from the repo root.
"""
