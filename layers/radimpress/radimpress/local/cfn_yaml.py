"""``template.yaml`` as data: a YAML loader for CloudFormation's short forms.

CloudFormation templates write intrinsic functions as YAML tags (``!Ref``, ``!Sub``, ``!GetAtt``...), which a
plain safe loader refuses; :class:`TemplateLoader` reads each as the long form (``{"Fn::Sub": ...}``), so
:mod:`radimpress.local.resolve` sees one shape whichever form the template uses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import yaml

from radimpress.errors import ConfigurationError

__all__ = ["SHORT_FORMS", "TemplateLoader", "load_template"]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
#: Short-form tags and the long-form key each becomes.
SHORT_FORMS: Final = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Join",
            "Select",
            "Split",
            "FindInMap",
            "ImportValue",
            "Base64",
            "GetAZs",
            "Cidr",
        )
    },
}


class TemplateLoader(yaml.SafeLoader):
    """A safe YAML loader that reads ``!Ref X`` as ``{"Ref": "X"}``, ``!GetAtt A.B`` as
    ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub ...`` as ``{"Fn::Sub": ...}`` and so on for every short form.

    Dates stay strings (CloudFormation reads ``2010-09-09`` or ``2020-01-01,NOW`` as text, not as dates).
    """

    # PyYAML looks resolvers up on the class; this copy leaves SafeLoader's own untouched.
    yaml_implicit_resolvers = {  # noqa: RUF012
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def _short_form(key: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if key == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        elif isinstance(node, yaml.MappingNode):
            value = loader.construct_mapping(node, deep=True)
        else:  # pragma: no cover - yaml has no other node kinds
            raise ConfigurationError(f"unexpected YAML node for !{key}", where=str(node.start_mark))
        return {key: value}

    return construct


for _tag, _key in SHORT_FORMS.items():
    TemplateLoader.add_constructor(f"!{_tag}", _short_form(_key))


def load_template(path: str | Path) -> dict[str, Any]:
    """The template at ``path`` as plain data, every short form in its long form."""
    text = Path(path).read_text(encoding="utf-8")
    document = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - TemplateLoader is a SafeLoader
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise ConfigurationError("not a CloudFormation template: no Resources mapping", where=str(path))
    return document
