"""Guardrails as code: rules on who may reach what (docs/guardrails.md), read from a rules file and checked against
the trust graph.

A rule names the roles it guards (`to`), whose reaching them it judges (`from`, default: every principal) and
what it demands: `deny` (none of them may reach any of the roles), `allow_only` (only principals the listed
selectors name may), or `require_conditions` (every path depends, at some hop, on each condition key). A selector
picks nodes by OU, account, principal ARN glob, kind, outside or not, sensitive or not and tags; its fields are
ANDed, a list of selectors is ORed.

The check is linear: each selector is resolved once by a scan of the nodes, and reachability is one search from all
the guarded roles at once (`reachability.nearest_targets`) per distinct (`to`, `via`, condition key), never one per
principal or role. Each principal breaking a rule is one violation, shown with its shortest violating path to the
nearest guarded role; violations are grouped per (rule, where the principals are, role) for reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from trustgraph.analysis.reachability import (
    nearest_targets,
    path_conditions,
    principals_only,
    restrict,
    route_steps,
    route_to,
    signs_in,
    through_group,
)
from trustgraph.arns import ACCOUNT_ID
from trustgraph.graph.classification import is_outside, prepared_context
from trustgraph.graph.schema import (
    NODE_SPECS,
    Hub,
    NodeKind,
    TrustGraph,
    graph_dicts,
    is_answer,
    is_hub_data,
    is_kind,
    is_membership,
    is_principal,
    node_spec,
    via_groups,
    via_kinds,
)
from trustgraph.policy.globs import glob_match

Path = tuple[str | int, ...]  # where in the rules file: ("rules", 0, "from", "ou")

SELECTOR_FIELDS = ("ou", "account", "principal", "kind", "outside", "sensitive", "tag")
RULE_FIELDS = ("id", "description", "from", "to", "deny", "allow_only", "require_conditions", "via")
# A condition key as policies write it: `service:Key` (aws:MultiFactorAuthPresent, sts:ExternalId, SAML:aud).
_CONDITION_KEY = re.compile(r"^[A-Za-z0-9.\-]+:\S+$")
_RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class RuleKind(StrEnum):
    DENY = "deny"
    ALLOW_ONLY = "allow_only"
    REQUIRE_CONDITIONS = "require_conditions"


def selector_kinds() -> tuple[str, ...]:
    """The node kinds a `kind` selector may name: every kind that can be an answer (hubs never are)."""
    return tuple(str(k) for k, spec in NODE_SPECS.items() if spec.hub is not Hub.ALWAYS)


@dataclass(frozen=True, slots=True)
class Selector:
    """Nodes with all of these (an empty field: no demand)."""

    ou: tuple[str, ...] = ()  # OU names or ids; an account in a child OU is in the OU
    account: tuple[str, ...] = ()  # account ids or names
    principal: tuple[str, ...] = ()  # ARN globs on the node id
    kind: tuple[str, ...] = ()
    outside: bool | None = None
    sensitive: bool | None = None
    tag: tuple[tuple[str, str], ...] = ()  # key, value glob

    def describe(self) -> str:
        parts = [f"{name}: {', '.join(values)}" for name, values in
                 (("ou", self.ou), ("account", self.account), ("principal", self.principal), ("kind", self.kind))
                 if values]
        parts += [f"{name}: {str(value).lower()}" for name, value in
                  (("outside", self.outside), ("sensitive", self.sensitive)) if value is not None]
        parts += [f"tag {k}={v}" for k, v in self.tag]
        return "{" + "; ".join(parts) + "}"


@dataclass(frozen=True, slots=True)
class Guardrail:
    id: str
    kind: RuleKind
    to: tuple[Selector, ...]
    sources: tuple[Selector, ...] = ()  # `from`; empty: every principal
    allowed: tuple[Selector, ...] = ()  # allow_only's `from`
    conditions: tuple[str, ...] = ()  # require_conditions
    via: tuple[str, ...] | None = None  # None: every --via group
    description: str = ""
    where: str = ""  # where the rule is written (file and line), for messages


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a rules file, at its place."""

    path: Path
    message: str


class GuardrailError(ValueError):
    """A rule the data cannot answer (an OU or account name it does not hold): the check would be meaningless."""


# -- reading the rules ------------------------------------------------------------------------------------------


def parse_rules(value: Any, where: Callable[[Path], str] = lambda path: "") -> tuple[list[Guardrail], list[Problem]]:
    """The rules of a parsed rules file, and every mistake in it (a rule with a mistake is left out; any mistake
    makes the file unusable). `where`: the place of a path in the file, for the rules' messages."""
    problems: list[Problem] = []
    if not isinstance(value, dict):
        return [], [Problem((), "expected a mapping with `rules:` (a list of rules)")]
    for key in value:
        if key != "rules":
            problems.append(Problem((str(key),), f"unknown key {key!r}; a rules file holds `rules:`"))
    entries = value.get("rules")
    if not isinstance(entries, list) or not entries:
        problems.append(Problem(("rules",), "`rules` must be a non-empty list of rules"))
        return [], problems
    rules: list[Guardrail] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        before = len(problems)
        rule = _rule(entry, ("rules", i), problems, where)
        if rule is not None and rule.id in seen:
            problems.append(Problem(("rules", i, "id"), f"rule id {rule.id!r} is also rule {seen[rule.id] + 1}'s"))
        elif rule is not None and len(problems) == before:
            seen[rule.id] = i
            rules.append(rule)
    return rules, problems


def _rule(entry: Any, at: Path, problems: list[Problem], where: Callable[[Path], str]) -> Guardrail | None:
    if not isinstance(entry, dict):
        problems.append(Problem(at, "a rule is a mapping (id, to, and one of deny, allow_only, require_conditions)"))
        return None
    for key in entry:
        if key not in RULE_FIELDS:
            problems.append(Problem((*at, str(key)), f"unknown key {key!r}; a rule takes {', '.join(RULE_FIELDS)}"))
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        problems.append(Problem((*at, "id"), "`id` is required: letters, digits, `.`, `_`, `-`"))
        rule_id = ""
    description = entry.get("description", "")
    if not isinstance(description, str):
        problems.append(Problem((*at, "description"), "`description` must be text"))
        description = ""
    demands = [k for k in RuleKind if k.value in entry]
    if len(demands) != 1:
        said = f"it gives {', '.join(demands)}" if demands else "it gives none"
        problems.append(Problem(at, "a rule gives exactly one of deny, allow_only, require_conditions; " + said))
        return None
    kind = demands[0]
    to = _selectors(entry.get("to"), (*at, "to"), problems, required=True)
    sources = _selectors(entry.get("from"), (*at, "from"), problems, required=kind is RuleKind.DENY)
    allowed: tuple[Selector, ...] = ()
    conditions: tuple[str, ...] = ()
    demand = entry[kind.value]
    if kind is RuleKind.DENY and demand is not True:
        problems.append(Problem((*at, "deny"), "`deny` takes `true` (a rule that denies nothing: remove it)"))
    elif kind is RuleKind.ALLOW_ONLY:
        if not isinstance(demand, dict) or set(demand) != {"from"}:
            problems.append(Problem((*at, "allow_only"), "`allow_only` takes `{from: [selectors]}`"))
        else:
            allowed = _selectors(demand["from"], (*at, "allow_only", "from"), problems, required=True)
    elif kind is RuleKind.REQUIRE_CONDITIONS:
        conditions = _condition_keys(demand, (*at, kind.value), problems)
    via = _via(entry.get("via"), (*at, "via"), problems)
    return Guardrail(rule_id, kind, to, sources, allowed, conditions, via, description, where(at))


def _selectors(value: Any, at: Path, problems: list[Problem], required: bool) -> tuple[Selector, ...]:
    if value is None:
        if required:
            problems.append(Problem(at, f"`{at[-1]}` is required: a selector or a list of selectors"))
        return ()
    items = value if isinstance(value, list) else [value]
    if not items:
        problems.append(Problem(at, "an empty list selects nothing: give at least one selector"))
    out = []
    for i, item in enumerate(items):
        selector = _selector(item, (*at, i) if isinstance(value, list) else at, problems)
        if selector is not None:
            out.append(selector)
    return tuple(out)


def _texts(value: Any, at: Path, problems: list[Problem], what: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip() for v in items):
        problems.append(Problem(at, f"expected {what} or a list of them"))
        return ()
    return tuple(str(v).strip() for v in items)


def _selector(value: Any, at: Path, problems: list[Problem]) -> Selector | None:
    if not isinstance(value, dict):
        problems.append(Problem(at, f"a selector is a mapping of {', '.join(SELECTOR_FIELDS)}"))
        return None
    if not value:
        problems.append(Problem(at, "an empty selector would select everything: leave the field out instead"))
        return None
    before = len(problems)
    for key in value:
        if key not in SELECTOR_FIELDS:
            problems.append(Problem((*at, str(key)), f"unknown selector {key!r}; selectors: "
                                                     f"{', '.join(SELECTOR_FIELDS)}"))
    fields: dict[str, Any] = {}
    for name, what in (("ou", "an OU name or id"), ("account", "an account id or name"),
                       ("principal", "an ARN glob")):
        if name in value:
            fields[name] = _texts(value[name], (*at, name), problems, what)
    given = value.get("account")
    numbers = [v for v in (given if isinstance(given, list) else [given])
               if isinstance(v, int) and not isinstance(v, bool) and len(str(v)) != 12]
    if numbers:
        # YAML reads an unquoted id as a number: one with a leading zero loses it (or reads as octal)
        problems.append(Problem((*at, "account"), f"account {numbers[0]} is not a 12-digit id: quote account ids "
                                                  "('012345678901')"))
    if "kind" in value:
        kinds = _texts(value["kind"], (*at, "kind"), problems, "a node kind")
        unknown = [k for k in kinds if k not in selector_kinds()]
        if unknown:
            problems.append(Problem((*at, "kind"), f"unknown kind {', '.join(unknown)}; kinds: "
                                                   f"{', '.join(selector_kinds())}"))
        fields["kind"] = kinds
    for name in ("outside", "sensitive"):
        if name in value:
            if not isinstance(value[name], bool):
                problems.append(Problem((*at, name), f"`{name}` takes true or false"))
            else:
                fields[name] = value[name]
    if "tag" in value:
        tags = value["tag"]
        if not isinstance(tags, dict) or not tags or not all(
                isinstance(k, str) and isinstance(v, (str, int, bool)) for k, v in tags.items()):
            problems.append(Problem((*at, "tag"), "`tag` takes a mapping of tag key to value (a glob)"))
        else:
            fields["tag"] = tuple((k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in tags.items())
    if len(problems) > before:
        return None
    return Selector(**fields)


def _condition_keys(value: Any, at: Path, problems: list[Problem]) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    bad = [v for v in items if not isinstance(v, str) or not _CONDITION_KEY.match(v)]
    if not items or bad:
        problems.append(Problem(at, "`require_conditions` takes a list of condition keys (service:Key, such as "
                                    "aws:MultiFactorAuthPresent)" + (f"; not {bad[0]!r}" if bad else "")))
        return ()
    return tuple(dict.fromkeys(items))


def _via(value: Any, at: Path, problems: list[Problem]) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) for v in items):
        problems.append(Problem(at, f"`via` takes a list of {', '.join(via_groups())}"))
        return None
    try:
        via_kinds(items)
    except ValueError as exc:
        problems.append(Problem(at, str(exc).replace("--via", "via")))
        return None
    return tuple(items)


# -- checking them ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    principal: str
    role: str
    path: list[str]  # principals only, like who-can-reach's
    route: list[str]  # with hubs, for statements and drawing
    steps: list[dict[str, str | None]]
    statements: list[dict[str, Any]]
    conditional: bool
    conditions: list[str]
    missing: list[str] = field(default_factory=list)  # require_conditions: the keys no hop depends on
    source: str = ""  # where the principal is: its OU, else its account, else its kind


@dataclass(slots=True)
class ViolationGroup:
    source: str
    role: str
    violations: list[Violation]

    @property
    def count(self) -> int:
        return len(self.violations)


@dataclass(slots=True)
class RuleResult:
    rule: Guardrail
    violations: list[Violation]
    groups: list[ViolationGroup]
    guarded: int = 0  # how many roles and users `to` selects: none means the rule holds by guarding nothing
    # What the selectors chose (for pictures: `map --view matrix --rules`): the guarded roles and users, the
    # principals `from` judges (None: every one) and those `allow_only` lets through.
    targets: frozenset[str] = frozenset()
    judged: frozenset[str] | None = None
    allowed: frozenset[str] = frozenset()


def depends_on(data: Mapping[str, Any], key: str) -> bool:
    """Whether taking this edge needs `key` to hold: every alternative folded into it names the key (an edge is
    conditional only when all its alternatives are, and its `conditions` are their union)."""
    if not data.get("conditional"):
        return False
    records = [r for r in data.get("evidence", ()) if r.get("conditions") is not None]
    if not records:
        return key in data.get("conditions", ())
    return all(any(c.get("key") == key for c in r["conditions"]) for r in records)


class _Index:
    """What the selectors of one graph look up, made once: OU and account names, each account's OUs, the
    organization context for `outside`, and each selector's nodes."""

    def __init__(self, graph: TrustGraph, sensitive: Collection[str]) -> None:
        self.graph = graph
        self.nodes = graph_dicts(graph).nodes
        self.sensitive = frozenset(sensitive)
        self.ctx = prepared_context(graph)
        accounts = graph.graph.get("accounts") or {}
        self.ou_names: dict[str, str] = dict(accounts.get("ou_names") or {})
        self.org_accounts: dict[str, str] = dict(accounts.get("org_accounts") or {})
        names = {**(graph.graph.get("account_names") or {}), **(accounts.get("names") or {})}
        self.account_ids: dict[str, list[str]] = {}
        for account, name in names.items():
            if name:
                self.account_ids.setdefault(str(name), []).append(str(account))
        self.answers = [n for n, d in self.nodes.items() if not is_hub_data(d)]
        self._chosen: dict[Selector, frozenset[str]] = {}

    def ou_path(self, account: str | None) -> list[str]:
        """The OU ids above an account, root first (its organization path without the organization id)."""
        path = self.org_accounts.get(account or "")
        return [part for part in path.split("/")[1:] if part] if path else []

    def source(self, node: str) -> str:
        data = self.nodes[node]
        account = data.get("account")
        ous = self.ou_path(account)
        if ous:
            return "OU " + "/".join(self.ou_names.get(ou, ou) for ou in ous[1:]) if len(ous) > 1 else "OU Root"
        if account:
            name = data.get("account_name") or data.get("vendor")
            return f"account {account}" + (f" ({name})" if name else "")
        # in no account (services, web identity providers of no account, Identity Center's people): one group per
        # kind, so that 3,000 people breaking a rule are one entry
        return node_spec(data.get("kind")).words[1]

    def select(self, selectors: Sequence[Selector], rule: Guardrail) -> frozenset[str]:
        out: set[str] = set()
        for selector in selectors:
            if selector not in self._chosen:
                self._chosen[selector] = self._select(selector, rule)
            out |= self._chosen[selector]
        return frozenset(out)

    def _resolve_ous(self, names: tuple[str, ...], rule: Guardrail) -> set[str]:
        if not self.ou_names:
            raise GuardrailError(f"rule {rule.id}{_at(rule)}: an `ou` selector needs organization data "
                                 "(organization.json or `collect --org`), which the inputs do not hold")
        out: set[str] = set()
        paths = self._ou_name_paths()
        for name in names:
            # a name is unique only under its parent (AWS Organizations): `Workloads/Prod` names one of several Prods
            ids = {ou for ou, ou_name in self.ou_names.items() if ou == name or ou_name == name
                   or ("/" in name and (paths.get(ou, "") == name or paths.get(ou, "").endswith("/" + name)))}
            if not ids:
                known = ", ".join(sorted(f"{n} ({ou})" for ou, n in self.ou_names.items()))
                raise GuardrailError(f"rule {rule.id}{_at(rule)}: OU {name!r} is not in the organization (OUs: "
                                     f"{known})")
            out |= ids
        return out

    def _ou_name_paths(self) -> dict[str, str]:
        """OU id → the names of the OUs from the root down to it (`Workloads/Prod`), from the accounts' paths."""
        out: dict[str, str] = {}
        for path in self.org_accounts.values():
            ids = [part for part in path.split("/")[1:] if part]
            for depth in range(1, len(ids)):
                out.setdefault(ids[depth], "/".join(self.ou_names.get(i, i) for i in ids[1:depth + 1]))
        return out

    def _resolve_accounts(self, names: tuple[str, ...], rule: Guardrail) -> set[str]:
        out: set[str] = set()
        for name in names:
            if ACCOUNT_ID.match(name):
                out.add(name)
            elif name in self.account_ids:
                out.update(self.account_ids[name])
            else:
                raise GuardrailError(f"rule {rule.id}{_at(rule)}: no account of the data is named {name!r} "
                                     "(give its 12-digit id, or name it with --accounts-file)")
        return out

    def _select(self, selector: Selector, rule: Guardrail) -> frozenset[str]:
        ous = self._resolve_ous(selector.ou, rule) if selector.ou else None
        accounts = self._resolve_accounts(selector.account, rule) if selector.account else None
        in_ou: dict[str | None, bool] = {}
        kinds = set(selector.kind)
        found = []
        for node in self.answers:
            data = self.nodes[node]
            if kinds and data.get("kind") not in kinds:
                continue
            account = data.get("account")
            if accounts is not None and account not in accounts:
                continue
            if ous is not None:
                inside = in_ou.get(account)
                if inside is None:
                    inside = in_ou[account] = bool(ous.intersection(self.ou_path(account)))
                if not inside:
                    continue
            if selector.principal and not any(glob_match(p, node) for p in selector.principal):
                continue
            if selector.sensitive is not None and (node in self.sensitive) is not selector.sensitive:
                continue
            if selector.tag and not _tagged(data.get("tags") or {}, selector.tag):
                continue
            if selector.outside is not None and is_outside(self.graph, node, self.ctx) is not selector.outside:
                continue
            found.append(node)
        return frozenset(found)


def _tagged(tags: Mapping[str, Any], wanted: tuple[tuple[str, str], ...]) -> bool:
    # IAM tag keys are unique regardless of case; values are compared as written (a glob).
    folded = {str(k).lower(): str(v) for k, v in tags.items()}
    return all(k.lower() in folded and glob_match(v, folded[k.lower()]) for k, v in wanted)


def _at(rule: Guardrail) -> str:
    return f" ({rule.where})" if rule.where else ""


Search = dict[str, list[tuple[str, str | None]]]


class _Searches:
    """One search per distinct (graph as `via` restricts it, guarded roles, mode), shared by every rule asking it."""

    def __init__(self) -> None:
        self._done: dict[tuple[object, ...], Search] = {}

    def get(self, graph: TrustGraph, targets: frozenset[str], mode: str, *, firm: bool = False,
            keep: Callable[[Mapping[str, Any]], bool] | None = None) -> Search:
        key = (graph, targets, mode)
        if key not in self._done:
            self._done[key] = nearest_targets(graph, targets, unconditional_only=firm, keep=keep)
        return self._done[key]


def _without(key: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda data: not depends_on(data, key)


def check(graph: TrustGraph, rules: Iterable[Guardrail], *, sensitive: Collection[str] = (),
          sources: Mapping[str, str] | None = None) -> list[RuleResult]:
    """Every rule's violations. `sensitive`: the ARNs the `sensitive` selector names (admin-equivalent, tagged,
    matching --sensitive; from the snapshot); `sources`: role ARN → the input file it was read from, for the
    statements of each hop. Raises GuardrailError for a rule naming an OU or account the data does not hold."""
    index = _Index(graph, sensitive)
    searches = _Searches()
    results = []
    for rule in rules:
        restricted = restrict(graph, rule.via)
        targets, judged, allowed = _selection(index, restricted, rule)
        found: dict[str, tuple[str, list[str], list[str]]] = {}  # principal → (role, route, missing keys)
        if rule.kind is RuleKind.REQUIRE_CONDITIONS:
            # a path breaks the rule for key K when no hop of it needs K: a search over the edges that don't
            for key in rule.conditions:
                answer = searches.get(restricted, targets, f"without {key}", keep=_without(key))
                for node, role, route in _reachers(restricted, answer, judged, allowed, rule.via):
                    if node in found:
                        found[node][2].append(key)
                    else:
                        found[node] = (role, route, [key])
        else:
            firm = searches.get(restricted, targets, "firm", firm=True)
            for node, role, route in _reachers(restricted, searches.get(restricted, targets, "any"), judged,
                                               allowed, rule.via):
                # shown by its shortest unconditional path when it has one, as who-can-reach shows reachers
                better = _nearest(firm, node)
                if better is not None:
                    role, route = better, route_to(firm, node, better)
                found[node] = (role, route, [])
        violations = [_violation(restricted, node, role, route, missing, sources or {}, index)
                      for node, (role, route, missing) in sorted(found.items())]
        results.append(RuleResult(rule, violations, _groups(violations), len(targets), targets, judged, allowed))
    return results


@dataclass(frozen=True, slots=True)
class Selection:
    """What one rule judges in a graph: its guarded roles and users, the principals it judges (None: every one),
    those it allows."""

    rule: Guardrail
    targets: frozenset[str]
    judged: frozenset[str] | None
    allowed: frozenset[str]


def select(graph: TrustGraph, rules: Iterable[Guardrail], *, sensitive: Collection[str] = ()) -> list[Selection]:
    """Each rule's selectors resolved on the graph, as `check` resolves them (choke points count the pairs that
    break the rules). Raises GuardrailError as `check` does."""
    index = _Index(graph, sensitive)
    return [Selection(rule, *_selection(index, restrict(graph, rule.via), rule)) for rule in rules]


def _selection(index: _Index, restricted: TrustGraph, rule: Guardrail) \
        -> tuple[frozenset[str], frozenset[str] | None, frozenset[str]]:
    """A rule's guarded roles and users (principals left in the graph its `via` keeps), the principals it judges
    (None: every one) and those it allows."""
    targets = frozenset(n for n in index.select(rule.to, rule) if n in restricted and is_principal(index.nodes[n]))
    judged = index.select(rule.sources, rule) if rule.sources else None
    allowed = index.select(rule.allowed, rule) if rule.allowed else frozenset()
    return targets, judged, allowed


def _nearest(answer: Search, node: str) -> str | None:
    """The nearest target of a search answer other than the node itself."""
    return next((origin for origin, _ in answer.get(node, ()) if origin != node), None)


def _reachers(graph: TrustGraph, answer: Search, sources: frozenset[str] | None, allowed: frozenset[str],
              via: tuple[str, ...] | None) -> Iterable[tuple[str, str, list[str]]]:
    """(principal, role, route) of each node of a search answer that the rule judges: answers only (no hub, no
    provider whose people the data names when sign-ins are followed, no Identity Center user whose group stands
    for it), in `sources` (None: all), not allowed."""
    nodes = graph_dicts(graph).nodes
    skip_superseded = signs_in(via)
    for node in answer:
        if (sources is not None and node not in sources) or node in allowed:
            continue
        data = nodes[node]
        if is_hub_data(data) or (skip_superseded and not is_answer(data)):
            continue
        role = _nearest(answer, node)
        if role is None:
            continue
        route = route_to(answer, node, role)
        if is_kind(data, NodeKind.IDENTITY_CENTER_USER) and through_group(graph, route) is not None:
            continue
        yield node, role, route


def _violation(graph: TrustGraph, node: str, role: str, route: list[str], missing: list[str],
               sources: Mapping[str, str], index: _Index) -> Violation:
    conditional, conditions = path_conditions(graph, route)
    return Violation(node, role, principals_only(graph, route), route, route_steps(graph, route),
                     hop_statements(graph, route, sources), conditional, conditions, sorted(missing),
                     index.source(node))


def hop_statements(graph: TrustGraph, route: list[str], sources: Mapping[str, str]) -> list[dict[str, Any]]:
    """The statements that make each hop of a route, from its edges' evidence records: the file, policy,
    statement index and Sid of a trust grant; for an indirect edge the action and why (the caller's policies are
    named in `reason`). Membership edges into hubs say why the caller may use the hub's trust."""
    out = []
    successors = graph_dicts(graph).succ
    for a, b in zip(route, route[1:], strict=False):
        data = successors[a][b]
        for record in data.get("evidence", ()):
            owner = record.get("role")
            trust = record.get("statement") is not None
            out.append({
                "from": a, "to": b, "kind": record.get("kind") or data.get("kind"),
                "file": sources.get(owner) if trust and owner else None,
                "policy": f"trust policy of {owner}" if trust else None,
                "statement": record.get("statement"), "sid": record.get("sid"),
                "action": record.get("action"),
                "conditions": sorted({c["key"] for c in record.get("conditions") or ()}),
                "reason": record.get("reason"),
                "membership": is_membership(data),
            })
    return out


def _groups(violations: list[Violation]) -> list[ViolationGroup]:
    groups: dict[tuple[str, str], ViolationGroup] = {}
    for v in violations:
        groups.setdefault((v.source, v.role), ViolationGroup(v.source, v.role, [])).violations.append(v)
    return sorted(groups.values(), key=lambda g: (-g.count, g.source, g.role))


def violation_count(results: Iterable[RuleResult]) -> int:
    return sum(len(r.violations) for r in results)


def uses_sensitive(rules: Iterable[Guardrail]) -> bool:
    """Whether any selector asks which roles are sensitive (finding out costs a look at every role's policies)."""
    return any(s.sensitive is not None for rule in rules for s in (*rule.to, *rule.sources, *rule.allowed))
