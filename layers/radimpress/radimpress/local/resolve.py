"""``template.yaml`` resolved: a small resolver of CloudFormation's intrinsic functions and conditions.

The local runtime creates every resource from the template itself, with the same properties and the same
function environments a deployment gets, so the two cannot drift::

    template = load_template("template.yaml")
    plan = resolve(template, {"ExistingEndpointName": "radimpress-local"}, {}, {}, "us-east-1", ACCOUNT_ID)
    for logical_id in plan.creation_order():
        ...  # create it from plan.resources[logical_id].properties, record its physical id and attributes,
        ...  # then resolve again so the resources that refer to it see them
    environment = plan.function_environment("IngestFunction")

What the resolver evaluates: ``Conditions`` (``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``,
``Condition``), ``Fn::If`` (only the branch taken), ``Ref`` (parameters, pseudo parameters, resources),
``Fn::GetAtt``, ``Fn::Sub`` (both forms, ``${!Literal}`` escapes), ``Fn::Join``, ``Fn::Select``,
``Fn::Split``, ``Fn::FindInMap``, ``Fn::Base64``, ``Fn::GetAZs`` and ``AWS::NoValue``. SAM ``Globals`` are
merged into each serverless resource first, the way SAM merges them (maps merged with the resource winning,
lists concatenated, anything else replaced by the resource's value).

What a resource reference means is the caller's: ``physical_ids[logical_id]`` is what ``Ref`` returns for
that type (a bucket's name, a queue's URL, a topic's ARN, a table's name, a secret's ARN, a key's id, a
function's name, a layer version's ARN) and ``attributes[(logical_id, name)]`` what ``Fn::GetAtt`` returns.
A reference to a resource the caller has not created yet is not an error: the value becomes
:class:`Unresolved` and the resource lists it in ``missing``, so the caller creates resources in
:meth:`ResolvedTemplate.creation_order` and resolves again as physical ids become known. Errors (an unknown
parameter or reference, a value a parameter does not allow, a reference to a resource whose condition is
false) are :class:`~radimpress.errors.ConfigurationError`.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from radimpress.errors import ConfigurationError
from radimpress.local.cfn_yaml import SHORT_FORMS

__all__ = [
    "ResolvedResource",
    "ResolvedTemplate",
    "Unresolved",
    "resolve",
]

_SERVERLESS_GLOBALS: Final = {
    "AWS::Serverless::Function": "Function",
    "AWS::Serverless::Api": "Api",
    "AWS::Serverless::HttpApi": "HttpApi",
    "AWS::Serverless::SimpleTable": "SimpleTable",
    "AWS::Serverless::StateMachine": "StateMachine",
    "AWS::Serverless::LayerVersion": "LayerVersion",
}
_FUNCTION_TYPES: Final = frozenset({"AWS::Serverless::Function", "AWS::Lambda::Function"})
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = "AWS::NoValue"


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that needs resources the caller has not given a physical id or attribute for yet.

    ``references`` are logical ids (from ``Ref``) and ``LogicalId.Attribute`` names (from ``Fn::GetAtt``).
    """

    references: frozenset[str]

    def __str__(self) -> str:
        return f"<unresolved: {', '.join(sorted(self.references))}>"


@dataclass(frozen=True, slots=True)
class ResolvedResource:
    """One resource: its type, its properties evaluated (``{}`` when its condition is false), its state."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    condition: str | None
    enabled: bool
    #: the template resources it refers to (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``) or names in ``DependsOn``
    depends_on: frozenset[str] = frozenset()
    #: the references among those the caller has not resolved yet
    missing: frozenset[str] = frozenset()

    @property
    def ready(self) -> bool:
        """Whether every value is known: the resource can be created as the template declares it."""
        return self.enabled and not self.missing


@dataclass(frozen=True, slots=True)
class ResolvedTemplate:
    """The template under one set of parameters: parameter values, conditions, resources and outputs."""

    parameters: dict[str, Any]
    conditions: dict[str, bool]
    resources: dict[str, ResolvedResource]
    #: outputs whose condition holds (values may be :class:`Unresolved`)
    outputs: dict[str, Any] = field(default_factory=dict)

    def enabled(self) -> list[ResolvedResource]:
        """The resources a deployment with these parameters creates, in template order."""
        return [resource for resource in self.resources.values() if resource.enabled]

    def of_type(self, resource_type: str) -> list[ResolvedResource]:
        """The enabled resources of ``resource_type`` (e.g. ``"AWS::SQS::Queue"``), in template order."""
        return [resource for resource in self.enabled() if resource.type == resource_type]

    def resource(self, logical_id: str) -> ResolvedResource:
        try:
            return self.resources[logical_id]
        except KeyError:
            raise ConfigurationError("no such resource in the template", where=logical_id) from None

    def creation_order(self) -> list[str]:
        """The enabled resources' logical ids, each after every resource it refers to (template order
        otherwise)."""
        enabled = {resource.logical_id: resource for resource in self.enabled()}
        order: list[str] = []
        placed: set[str] = set()
        pending = list(enabled)
        while pending:
            ready = [name for name in pending if enabled[name].depends_on <= placed]
            if not ready:
                raise ConfigurationError("circular references between resources", where=",".join(pending))
            for name in ready:
                order.append(name)
                placed.add(name)
            pending = [name for name in pending if name not in placed]
        return order

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment variables a deployment gives the function ``logical_id`` (Globals merged)."""
        resource = self.resource(logical_id)
        if resource.type not in _FUNCTION_TYPES:
            raise ConfigurationError(f"{resource.type} is not a function", where=logical_id)
        if not resource.enabled:
            raise ConfigurationError(f"condition {resource.condition} is false", where=logical_id)
        variables = resource.properties.get("Environment", {}).get("Variables", {})
        missing = sorted({ref for value in variables.values() for ref in _unresolved_in(value)})
        if missing:
            raise ConfigurationError(
                f"environment needs resources not created yet: {', '.join(missing)}", where=logical_id
            )
        return {
            str(name): _text(value, f"{logical_id}/Environment/{name}") for name, value in variables.items()
        }


def resolve(  # noqa: PLR0917 - the positional signature the local runtime was built against
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    physical_ids: Mapping[str, str],
    attributes: Mapping[tuple[str, str], str],
    region: str,
    account_id: str,
    *,
    stack_name: str = "radimpress-local",
) -> ResolvedTemplate:
    """Evaluate ``template`` for ``parameters`` (overriding the defaults) in ``region`` / ``account_id``."""
    context = _Context(
        template,
        parameters,
        physical_ids=physical_ids,
        attributes=attributes,
        region=region,
        account_id=account_id,
        stack_name=stack_name,
    )
    resources = {
        logical_id: context.resource(logical_id, declaration)
        for logical_id, declaration in template["Resources"].items()
    }
    outputs: dict[str, Any] = {}
    for name, declaration in template.get("Outputs", {}).items():
        condition = declaration.get("Condition")
        if condition is None or context.condition(condition):
            scope = _Scope(f"Outputs/{name}")
            outputs[name] = context.value(declaration["Value"], scope)
    return ResolvedTemplate(
        parameters=dict(context.parameters),
        conditions={name: context.condition(name) for name in template.get("Conditions", {})},
        resources=resources,
        outputs=outputs,
    )


@dataclass(slots=True)
class _Scope:
    """What evaluating one resource (or output) found: where it is, what it refers to, what is missing."""

    path: str
    references: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)


class _NoValue:
    """``AWS::NoValue``: removes the property (or list element) it is the value of."""


_REMOVED: Final = _NoValue()


class _Context:
    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str],
        *,
        physical_ids: Mapping[str, str],
        attributes: Mapping[tuple[str, str], str],
        region: str,
        account_id: str,
        stack_name: str,
    ) -> None:
        self.template = template
        self.physical_ids = physical_ids
        self.attributes = attributes
        self.declarations: Mapping[str, Any] = template["Resources"]
        self.parameters = _parameter_values(template.get("Parameters", {}), parameters)
        partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if "-gov-" in region else "aws"
        stack_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"{account_id}/{region}/{stack_name}")
        stack_arn = f"arn:{partition}:cloudformation:{region}:{account_id}:stack/{stack_name}/{stack_uuid}"
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::StackName": stack_name,
            "AWS::StackId": stack_arn,
            "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::NotificationARNs": [],
        }
        self._conditions: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name in self._conditions:
            return self._conditions[name]
        declarations = self.template.get("Conditions", {})
        if name not in declarations:
            raise ConfigurationError("no such condition", where=f"Conditions/{name}")
        if name in self._evaluating:
            raise ConfigurationError("condition refers to itself", where=f"Conditions/{name}")
        self._evaluating.add(name)
        try:
            result = self._truth(declarations[name], _Scope(f"Conditions/{name}"))
        finally:
            self._evaluating.discard(name)
        self._conditions[name] = result
        return result

    def _truth(self, node: Any, scope: _Scope) -> bool:
        if isinstance(node, bool):
            return node
        if isinstance(node, dict) and len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Condition":
                return self.condition(argument)
            if key == "Fn::Equals":
                left, right = (self.value(item, scope) for item in _arguments(argument, 2, key, scope))
                return bool(_comparable(left) == _comparable(right))
            if key == "Fn::Not":
                (inner,) = _arguments(argument, 1, key, scope)
                return not self._truth(inner, scope)
            if key == "Fn::And":
                return all(self._truth(item, scope) for item in argument)
            if key == "Fn::Or":
                return any(self._truth(item, scope) for item in argument)
        raise ConfigurationError("not a condition expression", where=scope.path)

    # ------------------------------------------------------------------ resources
    def resource(self, logical_id: str, declaration: Mapping[str, Any]) -> ResolvedResource:
        resource_type = str(declaration.get("Type", ""))
        condition = declaration.get("Condition")
        enabled = condition is None or self.condition(condition)
        if not enabled:
            return ResolvedResource(logical_id, resource_type, {}, condition, enabled=False)
        scope = _Scope(f"Resources/{logical_id}")
        raw = declaration.get("Properties", {})
        section = _SERVERLESS_GLOBALS.get(resource_type)
        if section is not None:
            raw = _merge_globals(self.template.get("Globals", {}).get(section, {}), raw)
        properties = self.value(raw, scope)
        depends_on = declaration.get("DependsOn", [])
        for name in [depends_on] if isinstance(depends_on, str) else depends_on:
            self._check_resource(name, scope)
            scope.references.add(name)
        return ResolvedResource(
            logical_id,
            resource_type,
            properties,
            condition,
            enabled=True,
            depends_on=frozenset(scope.references),
            missing=frozenset(scope.missing),
        )

    def _check_resource(self, name: str, scope: _Scope) -> None:
        declaration = self.declarations.get(name)
        if declaration is None:
            raise ConfigurationError(f"unknown reference {name}", where=scope.path)
        condition = declaration.get("Condition")
        if condition is not None and not self.condition(condition):
            raise ConfigurationError(
                f"refers to {name}, which condition {condition} turns off", where=scope.path
            )

    # ------------------------------------------------------------------ values
    def value(self, node: Any, scope: _Scope) -> Any:
        """``node`` with every intrinsic function evaluated; ``AWS::NoValue`` entries removed."""
        if isinstance(node, list):
            items = [self.value(item, scope) for item in node]
            return [item for item in items if item is not _REMOVED]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, argument),) = node.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, argument, scope)
        evaluated = {key: self.value(item, scope) for key, item in node.items()}
        return {key: item for key, item in evaluated.items() if item is not _REMOVED}

    def _intrinsic(self, key: str, argument: Any, scope: _Scope) -> Any:
        handlers: dict[str, Callable[[Any, _Scope], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": self._base64,
            "Fn::GetAZs": self._get_azs,
        }
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({key: argument}, scope)
        handler = handlers.get(key)
        if handler is None:
            raise ConfigurationError(f"{key} is not supported by the local resolver", where=scope.path)
        return handler(argument, scope)

    def _ref(self, argument: Any, scope: _Scope) -> Any:
        name = self.value(argument, scope)
        if not isinstance(name, str):
            raise ConfigurationError("Ref needs a name", where=scope.path)
        if name == _NO_VALUE:
            return _REMOVED
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        self._check_resource(name, scope)
        scope.references.add(name)
        if name in self.physical_ids:
            return self.physical_ids[name]
        scope.missing.add(name)
        return Unresolved(frozenset({name}))

    def _get_att(self, argument: Any, scope: _Scope) -> Any:
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        name, attribute = _arguments(parts, 2, "Fn::GetAtt", scope)
        attribute = self.value(attribute, scope)
        self._check_resource(name, scope)
        scope.references.add(name)
        if (name, attribute) in self.attributes:
            return self.attributes[(name, attribute)]
        scope.missing.add(f"{name}.{attribute}")
        return Unresolved(frozenset({f"{name}.{attribute}"}))

    def _sub(self, argument: Any, scope: _Scope) -> Any:
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            text, raw_variables = _arguments(argument, 2, "Fn::Sub", scope)
            variables = {name: self.value(item, scope) for name, item in raw_variables.items()}
        if not isinstance(text, str):
            raise ConfigurationError("Fn::Sub expected a string to substitute into", where=scope.path)
        pieces: list[Any] = []
        position = 0
        for match in _SUB_VARIABLE.finditer(text):
            pieces.append(text[position : match.start()])
            position = match.end()
            name = match.group(1)
            if name.startswith("!"):
                pieces.append("${" + name[1:] + "}")
            elif name in variables:
                pieces.append(variables[name])
            elif "." in name and not name.startswith("AWS::"):
                pieces.append(self._get_att(name.split(".", 1), scope))
            else:
                pieces.append(self._ref(name, scope))
        pieces.append(text[position:])
        return _concatenate(pieces, "", scope)

    def _if(self, argument: Any, scope: _Scope) -> Any:
        name, when_true, when_false = _arguments(argument, 3, "Fn::If", scope)
        return self.value(when_true if self.condition(name) else when_false, scope)

    def _join(self, argument: Any, scope: _Scope) -> Any:
        delimiter, items = _arguments(argument, 2, "Fn::Join", scope)
        values = self.value(items, scope)
        if isinstance(values, Unresolved):
            return values
        return _concatenate(values, delimiter, scope)

    def _select(self, argument: Any, scope: _Scope) -> Any:
        index, items = (self.value(item, scope) for item in _arguments(argument, 2, "Fn::Select", scope))
        if isinstance(items, Unresolved) or isinstance(index, Unresolved):
            return _merged([items, index])
        if not isinstance(items, list) or not 0 <= int(index) < len(items):
            raise ConfigurationError(f"Fn::Select index {index} outside the list", where=scope.path)
        return items[int(index)]

    def _split(self, argument: Any, scope: _Scope) -> Any:
        delimiter, source = (self.value(item, scope) for item in _arguments(argument, 2, "Fn::Split", scope))
        if isinstance(source, Unresolved):
            return source
        return _text(source, scope.path).split(_text(delimiter, scope.path))

    def _find_in_map(self, argument: Any, scope: _Scope) -> Any:
        names = [self.value(item, scope) for item in _arguments(argument, 3, "Fn::FindInMap", scope)]
        node: Any = self.template.get("Mappings", {})
        for name in names:
            if not isinstance(node, dict) or name not in node:
                raise ConfigurationError(f"Fn::FindInMap: no {name}", where=scope.path)
            node = node[name]
        return node

    def _base64(self, argument: Any, scope: _Scope) -> Any:
        text = self.value(argument, scope)
        if isinstance(text, Unresolved):
            return text
        return base64.b64encode(_text(text, scope.path).encode("utf-8")).decode("ascii")

    def _get_azs(self, argument: Any, scope: _Scope) -> Any:
        region = self.value(argument, scope) or self.pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]


def _parameter_values(declarations: Mapping[str, Any], given: Mapping[str, str]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(declarations))
    if unknown:
        raise ConfigurationError("not a parameter of the template", where=",".join(unknown))
    values: dict[str, Any] = {}
    for name, declaration in declarations.items():
        raw = given.get(name, declaration.get("Default"))
        if raw is None:
            raise ConfigurationError("parameter has no default and no value", where=f"Parameters/{name}")
        text = _text(raw, f"Parameters/{name}")
        _check_parameter(name, declaration, text)
        kind = str(declaration.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [item.strip() for item in text.split(",")] if is_list else text
    return values


def _check_parameter(name: str, declaration: Mapping[str, Any], text: str) -> None:
    """CloudFormation's parameter constraints. Messages name the constraint, never the value."""
    where = f"Parameters/{name}"
    allowed = declaration.get("AllowedValues")
    if allowed is not None and text not in [_text(item, where) for item in allowed]:
        raise ConfigurationError("value is not one of AllowedValues", where=where)
    pattern = declaration.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), text) is None:
        raise ConfigurationError("value does not match AllowedPattern", where=where)
    if "MinLength" in declaration and len(text) < int(declaration["MinLength"]):
        raise ConfigurationError("value is shorter than MinLength", where=where)
    if "MaxLength" in declaration and len(text) > int(declaration["MaxLength"]):
        raise ConfigurationError("value is longer than MaxLength", where=where)
    if declaration.get("Type") == "Number":
        try:
            number = float(text)
        except ValueError:
            raise ConfigurationError("value is not a number", where=where) from None
        if "MinValue" in declaration and number < float(declaration["MinValue"]):
            raise ConfigurationError("value is below MinValue", where=where)
        if "MaxValue" in declaration and number > float(declaration["MaxValue"]):
            raise ConfigurationError("value is above MaxValue", where=where)


def _is_intrinsic(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("Ref", *SHORT_FORMS.values())


def _merge_globals(global_value: Any, local_value: Any) -> Any:
    """SAM's merge: maps merge key by key (the resource wins), lists concatenate (globals first), anything
    else (an intrinsic function included) is the resource's."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if _is_intrinsic(global_value) or _is_intrinsic(local_value):
            return local_value
        merged = dict(global_value)
        for key, item in local_value.items():
            merged[key] = _merge_globals(global_value[key], item) if key in global_value else item
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return [*global_value, *local_value]
    return local_value


def _arguments(argument: Any, count: int, function: str, scope: _Scope) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise ConfigurationError(f"{function} takes a list of {count}", where=scope.path)
    return argument


def _text(value: Any, where: str) -> str:
    """A scalar as CloudFormation passes it on: booleans as ``true``/``false``, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise ConfigurationError(f"expected a string, found {type(value).__name__}", where=where)


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, bool | int | float | str):
        return _text(value, "Fn::Equals")
    return value


def _merged(values: Iterable[Any]) -> Unresolved:
    return Unresolved(
        frozenset[str]().union(*(value.references for value in values if isinstance(value, Unresolved)))
    )


def _concatenate(pieces: Iterable[Any], delimiter: str, scope: _Scope) -> Any:
    parts = list(pieces)
    if any(isinstance(part, Unresolved) for part in parts):
        return _merged(parts)
    return delimiter.join(_text(part, scope.path) for part in parts)


def _unresolved_in(value: Any) -> set[str]:
    if isinstance(value, Unresolved):
        return set(value.references)
    if isinstance(value, dict):
        return {ref for item in value.values() for ref in _unresolved_in(item)}
    if isinstance(value, list):
        return {ref for item in value for ref in _unresolved_in(item)}
    return set()
