"""Values a template tool fills in before the policy reaches IAM: Terraform `${var.x}`, CloudFormation
`${AWS::AccountId}` / `Ref` / `Fn::…` (rendered as `${…}` by the parser), documentation placeholders such as
`{arn-aws}`. They are not evaluated: whatever they stand for is decided at deploy time, so a statement that
holds one is neither "never matches" nor "matches nothing".

IAM's own policy variables (`${aws:username}`, `${saml:sub}`, `${aws:PrincipalTag/team}`, `${*}`, `${?}`,
`${$}`) name a condition key with a namespace and a colon; template variables do not (`${var.x}`,
`${AccountId}`) or use CloudFormation's double colon (`${AWS::Region}`).
"""

from __future__ import annotations

import re

_TEMPLATE = re.compile(r"\$\{([^}]*)\}")
_DOC_ATTRIBUTE = re.compile(r"(?<![$\w])\{[A-Za-z][\w-]*\}")  # AsciiDoc attributes: {arn-aws}, {aws}
UNRESOLVED_KEY = "trustgraph:UnresolvedValue"


def is_policy_variable(body: str) -> bool:
    name = body.split(",", 1)[0].strip()
    if name in ("*", "?", "$"):
        return True
    return ":" in name and "::" not in name and not name.startswith(("Fn::", "!"))


def placeholders(text: str) -> list[str]:
    """The template placeholders in `text`, in order (IAM policy variables are not placeholders)."""
    found = [m.group(0) for m in _TEMPLATE.finditer(text) if not is_policy_variable(m.group(1))]
    found.extend(m.group(0) for m in _DOC_ATTRIBUTE.finditer(text))
    return found


def has_placeholder(text: str) -> bool:
    return bool(placeholders(text))


def statement_placeholders(statement: object) -> list[str]:
    """Every placeholder in a statement's principals, actions, resources and conditions."""
    texts: list[str] = []
    for name in ("principals", "not_principals"):
        for ptype, value in getattr(statement, name) or ():
            texts.extend((ptype, value))
    for name in ("actions", "not_actions", "resources", "not_resources"):
        texts.extend(getattr(statement, name) or ())
    for cond in getattr(statement, "conditions", ()):
        texts.append(cond.key)
        texts.extend(cond.values)
    found: list[str] = []
    for text in texts:
        if "{" not in text:
            continue
        for p in placeholders(text):
            if p not in found:
                found.append(p)
    return found
