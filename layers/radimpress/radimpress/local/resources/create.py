"""Every resource of ``template.yaml``, created in the embedded AWS (moto) or stood in for, in creation order.

The template is read by :mod:`radimpress.local.cfn_yaml` and resolved by :mod:`radimpress.local.resolve`;
resources are created in its :meth:`~radimpress.local.resolve.ResolvedTemplate.creation_order`, the template
re-resolved after each wave, so every property that refers to another resource gets that resource's real
local value (a key id moto chose, a secret ARN, a queue URL).

:func:`plan` sorts a template's resources into the created
(:data:`~radimpress.local.resources.in_moto.CREATED_TYPES`) and the stood in for
(:data:`~radimpress.local.resources.stand_ins.STAND_INS`); a type in neither is an error, so a resource added
to the template cannot be silently missing from the demo.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from radimpress.errors import ConfigurationError
from radimpress.local.cfn_yaml import load_template
from radimpress.local.moto_server import ACCOUNT_ID, DEFAULT_REGION
from radimpress.local.resolve import ResolvedTemplate, resolve
from radimpress.local.resources.in_moto import CREATED_TYPES, Creator
from radimpress.local.resources.local_stack import Action, LocalStack
from radimpress.local.resources.stand_ins import STAND_INS, stand_in

__all__ = ["LOCAL_PARAMETERS", "create_stack", "local_parameters", "plan"]

STACK_NAME = "radimpress-local"

#: The Model's image and artifact are never pulled locally; these placeholders satisfy the template's Rules
#: so the demo resolves the variant that creates the endpoint (and stands in for all of it).
LOCAL_PARAMETERS: Mapping[str, str] = {
    "ImageUri": f"{ACCOUNT_ID}.dkr.ecr.{DEFAULT_REGION}.amazonaws.com/radimpress-local-stand-in:latest",
    "ModelDataUrl": "s3://radimpress-local-stand-in/model.tar.gz",
    # and the HTTPS entry point's custom domain, so its API and function exist locally too
    "HttpsDomainName": "hl7.radimpress.invalid",
    "HttpsCertificateArn": f"arn:aws:acm:{DEFAULT_REGION}:{ACCOUNT_ID}:certificate/local-stand-in",
    "HttpsTruststoreUri": "s3://radimpress-local-stand-in/truststore.pem",
    # and both access-logging options and VPC mode, so the trail and the endpoints are planned (stood in)
    "DataAccessLogging": "both",
    "VpcSubnetIds": "subnet-0local",
    "VpcSecurityGroupIds": "sg-0local",
    "VpcId": "vpc-0local",
    "VpcRouteTableIds": "rtb-0local",
}


def plan(resolved: ResolvedTemplate) -> dict[str, Action]:
    """Every enabled resource of ``resolved``: created in moto or stood in for. Unknown types raise."""
    actions: dict[str, Action] = {}
    for resource in resolved.enabled():
        if resource.type in CREATED_TYPES:
            actions[resource.logical_id] = Action(
                resource.logical_id, resource.type, "create", CREATED_TYPES[resource.type]
            )
        elif resource.type in STAND_INS:
            actions[resource.logical_id] = Action(
                resource.logical_id, resource.type, "stand-in", STAND_INS[resource.type]
            )
        else:
            raise ConfigurationError(
                f"{resource.type} is neither created nor stood in for by the local runtime "
                "(add it to radimpress.local.resources)",
                where=resource.logical_id,
            )
    return actions


def local_parameters(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**LOCAL_PARAMETERS, **(overrides or {})}


def create_stack(
    template_path: Path,
    client: Callable[[str], Any],
    *,
    parameters: Mapping[str, str] | None = None,
    stack_name: str = STACK_NAME,
    region: str = DEFAULT_REGION,
    account_id: str = ACCOUNT_ID,
) -> LocalStack:
    """Create (or stand in for) every resource of the template at ``template_path``.

    ``client(service)`` returns a boto3 client pointed at the embedded AWS. ``parameters`` override the
    template's defaults on top of :data:`LOCAL_PARAMETERS`.
    """
    template = load_template(template_path)
    values = local_parameters(parameters)

    def resolved_now(stack: LocalStack | None = None) -> ResolvedTemplate:
        return resolve(
            template,
            values,
            stack.physical_ids if stack else {},
            stack.attributes if stack else {},
            region,
            account_id,
            stack_name=stack_name,
        )

    first = resolved_now()
    stack = LocalStack(stack_name, region, account_id, first, actions=plan(first))
    creator = Creator(stack, client)
    order = first.creation_order()
    while order:
        # One resolution per wave: every resource whose references are all known now is created from it.
        current = resolved_now(stack)
        wave = [
            logical_id
            for logical_id in order
            if current.resource(logical_id).ready
            and current.resource(logical_id).depends_on <= stack.physical_ids.keys()
        ]
        if not wave:
            missing = sorted({m for name in order for m in current.resource(name).missing})
            raise ConfigurationError(f"cannot create: unresolved {', '.join(missing)}", where=order[0])
        for logical_id in wave:
            resource = current.resource(logical_id)
            if stack.actions[logical_id].kind == "create":
                physical_id, attributes = creator.create(resource)
            else:
                physical_id, attributes = stand_in(stack, resource)
            stack.physical_ids[logical_id] = physical_id
            stack.attributes.update({(logical_id, name): value for name, value in attributes.items()})
        order = [logical_id for logical_id in order if logical_id not in stack.physical_ids]
    stack.resolved = resolved_now(stack)
    return stack
