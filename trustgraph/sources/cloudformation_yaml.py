"""CloudFormation YAML: short-form intrinsic tags (`!Sub`, `!Ref`, `!GetAtt`…) read as their long form
(`{"Fn::Sub": …}`, `{"Ref": …}`), so that the rest of the code sees one shape, the JSON template's.

Timestamps are not converted: an unquoted `Version: 2012-10-17` stays the string IAM reads.
"""

from __future__ import annotations

from typing import Any

import yaml


class TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that knows CloudFormation's tags and keeps dates as text."""


# The implicit resolvers are class-level: copy them for this loader before dropping the timestamp one.
TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_value(loader: TemplateLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _intrinsic(loader: TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if suffix == "Ref" or suffix == "Condition":
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        # `!GetAtt Role.Arn` is the long form's ["Role", "Arn"]; only the first dot splits (attributes may have dots).
        resource, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [resource, attribute] if attribute else [resource]}
    return {f"Fn::{suffix}": value}


TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_yaml_template(text: str) -> Any:
    return yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
