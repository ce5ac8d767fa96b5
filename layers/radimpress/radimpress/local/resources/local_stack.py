"""The created stack, and the names CloudFormation would give its resources.

:class:`LocalStack` records what creating the template produced: each resource's physical id (what ``Ref``
returns), its attributes (what ``Fn::GetAtt`` returns) and the :class:`Action` taken for it. Names are
generated the way CloudFormation generates them when the template gives none: ``<stack>-<LogicalId>-<SUFFIX>``
(lower case for buckets), so the functions see the same kind of names in their environment as in a
deployment.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any, Literal

from radimpress.local.resolve import ResolvedResource, ResolvedTemplate

__all__ = ["Action", "LocalStack", "generated_name"]


@dataclass(frozen=True)
class Action:
    """What the demo does with one template resource."""

    logical_id: str
    type: str
    kind: Literal["create", "stand-in"]
    by: str


@dataclass
class LocalStack:
    """The created stack: physical ids (``Ref``), attributes (``Fn::GetAtt``), the final resolution."""

    stack_name: str
    region: str
    account_id: str
    resolved: ResolvedTemplate
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)
    #: properties the local AWS does not apply (``logical_id/property``), with why
    not_applied: dict[str, str] = field(default_factory=dict)

    @property
    def created(self) -> set[str]:
        return {name for name, action in self.actions.items() if action.kind == "create"}

    @property
    def stood_in(self) -> set[str]:
        return {name for name, action in self.actions.items() if action.kind == "stand-in"}

    def ref(self, logical_id: str) -> str:
        return self.physical_ids[logical_id]

    def attribute(self, logical_id: str, name: str) -> str:
        return self.attributes[(logical_id, name)]

    def resource(self, logical_id: str) -> ResolvedResource:
        return self.resolved.resource(logical_id)

    def output(self, name: str) -> Any:
        return self.resolved.outputs[name]

    def function_environment(self, logical_id: str) -> dict[str, str]:
        return self.resolved.function_environment(logical_id)


def _suffix(stack_name: str, logical_id: str, length: int, alphabet: str) -> str:
    """CloudFormation's random suffix, deterministic per stack and resource (reproducible demo runs)."""
    rng = random.Random(f"{stack_name}/{logical_id}")  # noqa: S311 - a name, not a secret
    return "".join(rng.choice(alphabet) for _ in range(length))


def generated_name(stack_name: str, logical_id: str, *, max_length: int, lower: bool = False) -> str:
    """``<stack>-<LogicalId>-<SUFFIX>``, the stack and logical id trimmed so the whole fits ``max_length``."""
    alphabet = string.ascii_lowercase + string.digits if lower else string.ascii_uppercase + string.digits
    suffix = _suffix(stack_name, logical_id, 12 if lower else 13, alphabet)
    room = max_length - len(suffix) - 2
    stack_part = stack_name[: max(1, room // 2)]
    logical_part = logical_id[: max(1, room - len(stack_part))]
    name = f"{stack_part}-{logical_part}-{suffix}"
    return name.lower() if lower else name
