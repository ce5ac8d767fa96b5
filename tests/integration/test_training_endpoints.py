"""training.endpoints: two async endpoints like the template's on moto, then teardown of exactly those."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from training.endpoints import JUMPSTART_ENVIRONMENT, EndpointSpec, deploy_main, plan_endpoint, teardown_main

REGION = "us-east-1"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:1.13.1-gpu-py39"
ROLE = "arn:aws:iam::123456789012:role/RadimpressEndpoint"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARGS = [
    "--name",
    "rcmp",
    "--pretrained",
    "s3://models/flan-t5-xl/model.tar.gz",
    "--finetuned",
    "s3://models/ft/output/model.tar.gz",
    "--image-uri",
    IMAGE,
    "--role",
    ROLE,
    "--output",
    "s3://radimpress-data/compare",
    "--kms-key",
    KMS,
    # moto knows an older instance list than the default ml.g5.2xlarge
    "--instance-type",
    "ml.g4dn.2xlarge",
]


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        cache: dict[str, object] = {}
        yield lambda service: cache.setdefault(service, boto3.client(service, region_name=REGION))


def test_plan_mirrors_the_templates_endpoint():
    # Given one endpoint with its own topics
    spec = EndpointSpec(
        name="rcmp-finetuned",
        model_data_url="s3://m/model.tar.gz",
        image_uri=IMAGE,
        role_arn=ROLE,
        output_uri="s3://radimpress-data/compare/",
        kms_key_id=KMS,
    )
    # When planned
    steps = {(s.service, s.operation, s.identifier): s.request for s in plan_endpoint(spec)}
    # Then the config writes to its own async-out/async-failures paths, notifies both topics, scales 0..2
    config = steps[("sagemaker", "create_endpoint_config", "rcmp-finetuned-config")]
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    assert output["S3OutputPath"] == "s3://radimpress-data/compare/async-out/rcmp-finetuned/"
    assert output["S3FailurePath"] == "s3://radimpress-data/compare/async-failures/rcmp-finetuned/"
    assert output["NotificationConfig"] == {
        "SuccessTopic": "<rcmp-finetuned-success>",
        "ErrorTopic": "<rcmp-finetuned-error>",
    }
    target = steps[
        ("application-autoscaling", "register_scalable_target", "endpoint/rcmp-finetuned/variant/AllTraffic")
    ]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 2)
    model = steps[("sagemaker", "create_model", "rcmp-finetuned")]
    assert model["EnableNetworkIsolation"] is True
    assert model["PrimaryContainer"]["Environment"] == dict(JUMPSTART_ENVIRONMENT)


def test_deploy_then_teardown_removes_exactly_what_was_made(aws, tmp_path, capsys):
    # Given an unrelated endpoint, topic and alarm that already exist
    sagemaker, sns, cloudwatch = aws("sagemaker"), aws("sns"), aws("cloudwatch")
    sagemaker.create_model(ModelName="other", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    other_topic = sns.create_topic(Name="other-topic")["TopicArn"]
    cloudwatch.put_metric_alarm(
        AlarmName="other-alarm",
        Namespace="X",
        MetricName="Y",
        Statistic="Average",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    record = tmp_path / "deployment.json"
    # When both models are deployed
    assert deploy_main([*ARGS, "--record", str(record)], clients=aws) == 0
    # Then two endpoints exist, configured like the template's, with their topics, scaling and alarm
    names = {e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]}
    assert names == {"rcmp-pretrained", "rcmp-finetuned"}
    config = sagemaker.describe_endpoint_config(EndpointConfigName="rcmp-finetuned-config")
    output = config["AsyncInferenceConfig"]["OutputConfig"]
    topics = {t["TopicArn"].rsplit(":", 1)[1]: t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert output["NotificationConfig"] == {
        "SuccessTopic": topics["rcmp-finetuned-success"],
        "ErrorTopic": topics["rcmp-finetuned-error"],
    }
    assert output["KmsKeyId"] == KMS
    scaling = aws("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert {(t["ResourceId"], t["MinCapacity"]) for t in targets} == {
        ("endpoint/rcmp-pretrained/variant/AllTraffic", 0),
        ("endpoint/rcmp-finetuned/variant/AllTraffic", 0),
    }
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    wake = {p["PolicyName"]: p["PolicyARN"] for p in policies}["rcmp-finetuned-scale-from-zero"]
    alarm = cloudwatch.describe_alarms(AlarmNames=["rcmp-finetuned-has-backlog-without-capacity"])[
        "MetricAlarms"
    ][0]
    assert alarm["AlarmActions"] == [wake]
    written = json.loads(record.read_text())
    # per endpoint: 2 topics, model, config, endpoint, scalable target, 2 policies, alarm
    assert len(written["resources"]) == 2 * 9
    # When torn down
    capsys.readouterr()
    assert teardown_main(["--record", str(record)], clients=aws) == 0
    # Then everything deploy made is gone, the unrelated resources stay, and so does nothing of the record
    assert sagemaker.list_endpoints()["Endpoints"] == []
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["other"]
    assert [t["TopicArn"] for t in sns.list_topics()["Topics"]] == [other_topic]
    assert [a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]] == ["other-alarm"]
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert not record.exists()
    assert len(capsys.readouterr().out.splitlines()) == 18


def test_teardown_after_a_half_failed_deploy_and_of_resources_already_gone(aws, tmp_path):
    # Given an account at its endpoint limit (CreateEndpoint refused) and a model made by hand
    from botocore.exceptions import ClientError

    sagemaker = aws("sagemaker")
    sagemaker.create_model(ModelName="hand", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})

    class AtLimit:
        def __getattr__(self, name):
            if name == "create_endpoint":

                def refuse(**_):
                    raise ClientError(
                        {"Error": {"Code": "ResourceLimitExceeded", "Message": "limit"}}, "CreateEndpoint"
                    )

                return refuse
            return getattr(sagemaker, name)

    clients = lambda service: AtLimit() if service == "sagemaker" else aws(service)  # noqa: E731
    record = tmp_path / "deployment.json"
    # When a deploy fails half-way
    with pytest.raises(ClientError):
        deploy_main([*ARGS[:4], *ARGS[6:], "--record", str(record)], clients=clients)
    # Then the record holds what was made before the failure
    made = json.loads(record.read_text())["resources"]
    assert [r["identifier"] for r in made] == [
        "rcmp-pretrained-success",
        "rcmp-pretrained-error",
        "rcmp-pretrained",
        "rcmp-pretrained-config",
    ]
    # And with one of those already removed by hand, teardown removes the rest and only that
    aws("sns").delete_topic(TopicArn=made[1]["undo"]["request"]["TopicArn"])
    sagemaker.delete_model(ModelName="rcmp-pretrained")
    assert teardown_main(["--record", str(record)], clients=aws) == 0
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["hand"]
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
    assert aws("sns").list_topics()["Topics"] == []
    assert not record.exists()


def test_dry_run_prints_the_calls_and_a_second_deploy_on_a_record_is_refused(aws, tmp_path, capsys):
    # Given / When a dry run
    assert deploy_main([*ARGS, "--dry-run"], clients=aws) == 0
    calls = json.loads(capsys.readouterr().out)
    # Then it lists every call and made nothing
    assert [c["operation"] for c in calls].count("create_endpoint") == 2
    assert aws("sagemaker").list_endpoints()["Endpoints"] == []
    # And a deploy over an existing record is refused
    record = tmp_path / "deployment.json"
    record.write_text("{}")
    assert deploy_main([*ARGS, "--record", str(record)], clients=aws) == 2
