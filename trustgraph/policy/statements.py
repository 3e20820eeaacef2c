"""Does one statement apply to (action, resource)? Shared by identity, boundary, SCP and RCP checks."""

from __future__ import annotations

from trustgraph.model import Statement
from trustgraph.policy.conditions import _UNRESOLVED, substitute
from trustgraph.policy.facts import Facts
from trustgraph.policy.globs import any_action, arn_matches


def covers_action(statement: Statement, action: str) -> bool:
    if statement.actions is not None:
        return any_action(statement.actions, action)
    if statement.not_actions is not None:
        # NotAction grants every action except those listed (SEMANTICS §3.3).
        return not any_action(statement.not_actions, action)
    return False


def _resource_hit(patterns: tuple[str, ...], arn: str, facts: Facts | None, variables: bool) -> bool | None:
    """True/False, or None when a policy variable in a pattern cannot be resolved from the data."""
    unresolved = False
    for pattern in patterns:
        if variables and "${" in pattern and facts is not None:
            resolved = substitute(pattern, facts)
            if resolved is _UNRESOLVED:
                unresolved = True
                continue
            if resolved is None:
                continue
            pattern = str(resolved)
        if arn_matches(pattern, arn):
            return True
    return None if unresolved else False


def covers_resource(statement: Statement, arn: str, facts: Facts | None = None,
                    variables: bool = True) -> bool | None:
    if statement.resources is not None:
        return _resource_hit(statement.resources, arn, facts, variables)
    if statement.not_resources is not None:
        hit = _resource_hit(statement.not_resources, arn, facts, variables)
        return None if hit is None else not hit
    return False
