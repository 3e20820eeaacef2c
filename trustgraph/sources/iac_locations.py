"""Where a principal that a plan or template declares is written: the first line of its `.tf` resource block, or the
template line of its logical id. Code scanning shows a result in a pull request only when the lines it names are in
the diff, so a result on `plan.json` (generated, never committed) is never shown beside the change that caused it.

Terraform: the root module's `.tf` files are those of the plan file's directory (write the plan where `terraform
plan` ran); a module called from a local directory (`source = "./modules/x"`, `IacOrigin.module_dir`) is looked up
in that directory. The files are parsed with python-hcl2 (a maintained HCL2 parser) and the location is the first
line of the `resource "TYPE" "NAME"` block. CloudFormation: the line of the logical id's key under `Resources`, from
PyYAML's node tree (YAML templates; nodes keep their line) or a scan of the JSON tokens (JSON templates; PyYAML
refuses some valid JSON, such as tab indentation).

Anything not found (no `.tf` file, a module from the registry, a file python-hcl2 cannot parse, a template changed
since) is None: the caller keeps its fallback, the plan or template file at the role's line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from trustgraph.model import IacOrigin
from trustgraph.sources.structured_file import INPUT_FILE_CAP, file_problem


@dataclass(frozen=True, slots=True)
class SourceLine:
    path: str  # as the plan's or template's path was given, joined with the module directory and file name
    line: int  # 1-based


def source_line(origin: IacOrigin) -> SourceLine | None:
    """The file and line declaring the principal `origin` names, or None when it cannot be found."""
    if origin.kind == "terraform":
        if origin.module_dir is None:
            return None
        directory = os.path.normpath(os.path.join(os.path.dirname(origin.source), origin.module_dir))
        return terraform_blocks(directory).get(origin.resource)
    if origin.kind == "cloudformation":
        line = logical_id_lines(origin.source).get(origin.resource)
        return SourceLine(origin.source, line) if line is not None else None
    return None


def _read(path: Path) -> str | None:
    if file_problem(path, INPUT_FILE_CAP) is not None:
        return None
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


@lru_cache(maxsize=1024)
def terraform_blocks(directory: str) -> dict[str, SourceLine]:
    """`TYPE.NAME` → the first line of its `resource "TYPE" "NAME"` block, over the directory's `.tf` files (in name
    order; Terraform refuses a resource declared twice, so the first is the one). A file python-hcl2 cannot parse
    is passed over."""
    try:
        import hcl2  # only when a result is located: the CLI starts without it
    except ImportError:
        return {}
    out: dict[str, SourceLine] = {}
    try:
        files = sorted(p for p in Path(directory).glob("*.tf") if p.is_file())
    except OSError:
        return out
    for path in files:
        text = _read(path)
        if text is None:
            continue
        try:
            tree = hcl2.parses_to_tree(text)
        except Exception:  # noqa: BLE001 - lark's parse errors have no common public base; the file is passed over
            continue
        for block in _top_level_blocks(tree):
            labels = _labels(block)
            if len(labels) == 3 and labels[0] == "resource":
                out.setdefault(f"{labels[1]}.{labels[2]}", SourceLine(str(path), block.meta.line))
    return out


def _top_level_blocks(tree: Any) -> list[Any]:
    """The blocks of the file's body (not those nested in another block: `lifecycle`, `dynamic`…)."""
    from lark import Tree

    body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), None)
    return [c for c in (body.children if body is not None else []) if isinstance(c, Tree) and c.data == "block"]


def _labels(block: Any) -> list[str]:
    """A block's type and labels as text (`resource`, `aws_iam_role`, `deploy`): the identifiers and quoted strings
    before its `{`."""
    from lark import Token, Tree

    labels: list[str] = []
    for child in block.children:
        if isinstance(child, Token) and child.type == "LBRACE":
            break
        if isinstance(child, Tree) and child.data in ("identifier", "string"):
            labels.append("".join(str(t) for t in child.scan_values(lambda v: isinstance(v, Token))
                                  if t.type != "DBLQUOTE"))
    return labels


@lru_cache(maxsize=1024)
def logical_id_lines(path: str) -> dict[str, int]:
    """Logical id → the line of its key under the template's `Resources`."""
    text = _read(Path(path))
    if text is None:
        return {}
    if text.lstrip().startswith("{"):
        found = json_resource_lines(text)
        if found:
            return found
    return yaml_resource_lines(text)


# A JSON string (escapes included) or a structural character: enough to know where every key is.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]')


def json_resource_lines(text: str) -> dict[str, int]:
    """The keys of the top-level object's `Resources` object, with their lines, by one pass over the JSON tokens
    (a string is the key of the `:` that follows it)."""
    out: dict[str, int] = {}
    keys: list[str | None] = []  # per open container: the key whose value is being read (None in an array)
    last: tuple[str, int] | None = None
    line, counted = 1, 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token[0] == '"':
            last = (token, match.start())
        elif token in "{[":
            keys.append(None)
        elif token in "}]":
            if keys:
                keys.pop()
        elif keys and last is not None:  # ":" after a key
            try:
                key = json.loads(last[0])
            except ValueError:
                return {}
            keys[-1] = key
            if len(keys) == 2 and keys[0] == "Resources":
                line += text.count("\n", counted, last[1])
                counted = last[1]
                out.setdefault(key, line)
    return out


def yaml_resource_lines(text: str) -> dict[str, int]:
    """The keys of the top-level `Resources` mapping of a YAML template, with their lines (PyYAML's node marks;
    composing builds no values, so the short-form tags and aliases need nothing)."""
    import yaml

    from trustgraph.sources.cloudformation_yaml import TemplateLoader

    try:
        root = yaml.compose(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass; nothing is built
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "Resources" and isinstance(value, yaml.MappingNode):
            for logical, _ in value.value:
                if isinstance(logical, yaml.ScalarNode):
                    out.setdefault(str(logical.value), logical.start_mark.line + 1)
    return out
