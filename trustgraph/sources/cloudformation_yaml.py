"""CloudFormation YAML: short-form intrinsic tags (`!Sub`, `!Ref`, `!GetAtt`…) read as their long form
(`{"Fn::Sub": …}`, `{"Ref": …}`), so that the rest of the code sees one shape, the JSON template's.

Timestamps are not converted: an unquoted `Version: 2012-10-17` stays the string IAM reads.

Aliases are bounded: before a document is constructed, the nodes it would have with every alias written out
are counted (each node once, its count memoised), and a document beyond `NODE_BUDGET` (an alias bomb: 9 levels
of 10 aliases are 10⁹ nodes in a few hundred bytes), or an alias inside its own anchor, is refused. The values
constructed share what the aliases share, so what reads them can go through the document as a DAG.
"""

from __future__ import annotations

from typing import Any

import yaml

# CloudFormation takes templates of at most 1 MB, which is far fewer nodes than this once aliases are expanded.
NODE_BUDGET = 1_000_000


class TemplateTooLarge(yaml.MarkedYAMLError):
    """A document whose aliases expand beyond the budget, or refer to themselves."""


class BoundedLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a document whose aliases expand beyond `NODE_BUDGET` nodes."""

    def construct_document(self, node: yaml.Node) -> Any:
        check_expanded_size(node, NODE_BUDGET)
        return super().construct_document(node)


class TemplateLoader(BoundedLoader):
    """A bounded SafeLoader that knows CloudFormation's tags and keeps dates as text."""


# The implicit resolvers are class-level: copy them for this loader before dropping the timestamp one.
TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def check_expanded_size(root: yaml.Node, budget: int) -> int:
    """The number of nodes of the document with its aliases written out; `TemplateTooLarge` (at the node where
    the count passes `budget`, or at the alias that refers to its own anchor) when there are too many.

    Each distinct node is counted once (aliases point to the same node object), without recursion."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            sizes[key] = size
            if size > budget:
                raise TemplateTooLarge(problem=f"its aliases expand it to more than {budget:,} nodes "
                                       "(an alias bomb?): not read", problem_mark=node.start_mark)
            continue
        if key in sizes:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_nodes:
                raise TemplateTooLarge(problem="an alias refers to the node that holds it (a recursive "
                                       "document): not read", problem_mark=node.start_mark)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


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
