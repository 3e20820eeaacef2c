"""graph/schema.py: one row per node and edge kind, and the questions every layer asks them (hub, --via group, hop
cost); a kind added as a row alone is followed by the searches with no change elsewhere."""

from __future__ import annotations

import networkx as nx
import pytest

from trustgraph.analysis.diff import trust_changes
from trustgraph.analysis.reachability import restrict, who_can_reach
from trustgraph.graph import schema
from trustgraph.graph.schema import (
    EDGE_SPECS,
    NODE_SPECS,
    EdgeKind,
    EdgeSpec,
    Hub,
    NodeKind,
    NodeSpec,
    Via,
    edge_spec,
    hop_cost,
    hub_needed,
    is_hub_data,
    is_membership,
    node_spec,
    via_groups,
    via_kinds,
)

ROLE = "arn:aws:iam::111111111111:role/Target"
USER = "arn:aws:iam::111111111111:user/alice"


def test_every_node_kind_has_its_row() -> None:
    assert set(NODE_SPECS) == set(NodeKind)
    assert all(node_spec(k.value).kind == k for k in NodeKind)


def test_every_edge_kind_has_its_row() -> None:
    assert set(EDGE_SPECS) == set(EdgeKind)
    assert all(edge_spec(k.value).kind == k for k in EdgeKind)


@pytest.mark.parametrize("kind", ["class", "account-admin", "policy-group", "code-runner", "passrole-runner"])
def test_kinds_standing_for_other_principals_are_always_hubs(kind: str) -> None:
    assert is_hub_data({"kind": kind})


@pytest.mark.parametrize("kind", ["user", "role", "service", "federated", "public", "unknown"])
def test_principal_and_caller_kinds_are_never_hubs_even_when_marked(kind: str) -> None:
    assert not is_hub_data({"kind": kind}) and not is_hub_data({"kind": kind, "hub": True})


def test_an_account_is_a_hub_only_when_marked() -> None:
    assert not is_hub_data({"kind": "account"})
    assert is_hub_data({"kind": "account", "hub": True})


def test_a_kind_without_a_row_is_a_hub_only_when_marked() -> None:
    assert not is_hub_data({"kind": "from-a-newer-version"}) and is_hub_data({"kind": "x", "hub": True})
    assert node_spec("from-a-newer-version").hub is Hub.WHEN_MARKED


def test_via_groups_are_the_groups_of_the_edge_rows_then_all() -> None:
    assert via_groups() == ("assume", "passrole", "code", "iam", "sso", "all")


def test_via_kinds_names_the_edge_kinds_of_each_group() -> None:
    assert via_kinds("assume") == {"assume", "saml", "web-identity", "service"}
    assert via_kinds("iam") == {"iam", "assume-root"}
    assert via_kinds("sso") == {"sso"}
    assert via_kinds(["passrole", "code"]) == via_kinds("passrole,code") == {"passrole", "code"}
    assert via_kinds(" Assume , IAM ") == via_kinds("assume") | via_kinds("iam")
    assert via_kinds(None) is None and via_kinds("all") is None and via_kinds("assume,all") is None
    assert all(type(k) is str for k in via_kinds("assume") or ())


def test_via_kinds_refuses_an_unknown_group_and_names_the_known() -> None:
    with pytest.raises(ValueError, match=r"unknown --via member, bogus: use assume, passrole, code, iam, sso, all"):
        via_kinds("assume,member,bogus")


def test_membership_costs_no_hop_and_is_of_no_via_group() -> None:
    assert hop_cost({"kind": "member"}) == 0
    assert is_membership({"kind": "member"}) and edge_spec("member").via is None
    assert not is_membership({"kind": "assume"}) and not is_membership({"kind": "from-a-newer-version"})


def test_every_other_edge_costs_one_hop_unless_it_enters_a_hub() -> None:
    # an Identity Center user's membership of its group is no hop either
    assert all(hop_cost({"kind": k.value}) == 1 for k in EdgeKind if k not in (EdgeKind.MEMBER, EdgeKind.GROUP_MEMBER))
    assert hop_cost({"kind": "group-member"}) == 0
    assert hop_cost({"kind": "iam", "hub_entry": True}) == 0
    assert hop_cost({}) == 1 and hop_cost({"kind": "from-a-newer-version"}) == 1


def test_a_hub_entered_only_through_some_groups_is_needed_only_with_them() -> None:
    admin = {"kind": "account-admin"}
    assert hub_needed(admin, via_kinds("iam")) and not hub_needed(admin, via_kinds("assume,code"))
    group = {"kind": "policy-group"}
    assert hub_needed(group, via_kinds("code")) and not hub_needed(group, via_kinds("assume"))
    assert hub_needed({"kind": "class"}, via_kinds("assume"))  # a trust class: every query


# -- a kind added by a row alone -------------------------------------------------------------------------------


@pytest.fixture()
def sso_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """An `sso-group` hub entered by `sso-member` (membership) and leading to roles by `sso` edges of a new --via
    group `sso`."""
    monkeypatch.setitem(NODE_SPECS, "sso-group", NodeSpec("sso-group", Hub.ALWAYS, "SSO group", ("group", "groups"),
                                                          ("AWSSSOGroup",), ("AWSSSOGroup",),
                                                          needs_via=frozenset({"sso"})))
    monkeypatch.setitem(EDGE_SPECS, "sso-member", EdgeSpec("sso-member", None, 0, "member of", "", ""))
    monkeypatch.setitem(EDGE_SPECS, "sso", EdgeSpec("sso", "sso", 1, "SSO permission set", "", ""))


def _sso_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_node(USER, kind="user", account="111111111111", label="alice")
    g.add_node(ROLE, kind="role", account="111111111111", label="Target")
    g.add_node("sso:engineers", kind="sso-group", label="engineers")
    g.add_edge(USER, "sso:engineers", kind="sso-member", conditional=False, conditions=[])
    g.add_edge("sso:engineers", ROLE, kind="sso", conditional=False, conditions=[])
    return g


@pytest.mark.usefixtures("sso_rows")
def test_a_kind_added_as_a_row_is_a_hub_and_its_entry_a_membership() -> None:
    assert is_hub_data({"kind": "sso-group"})
    assert hop_cost({"kind": "sso-member"}) == 0 and is_membership({"kind": "sso-member"})
    assert hop_cost({"kind": "sso"}) == 1
    assert via_groups() == ("assume", "passrole", "code", "iam", "sso", "all")
    assert via_kinds("sso") == {"sso"}


@pytest.mark.usefixtures("sso_rows")
def test_who_can_reach_follows_a_kind_added_as_a_row() -> None:
    reachers = who_can_reach(_sso_graph(), ROLE).reachers
    assert [(r.principal, r.hops, r.path) for r in reachers] == [(USER, 1, [USER, ROLE])]  # the hub is no answer
    assert [s["kind"] for s in reachers[0].steps] == ["sso"]  # the membership is no step


@pytest.mark.usefixtures("sso_rows")
def test_restrict_keeps_a_new_group_only_when_asked_for() -> None:
    g = _sso_graph()
    assert [r.principal for r in who_can_reach(g, ROLE, via="sso").reachers] == [USER]
    assumed = restrict(g, "assume")
    assert "sso:engineers" not in assumed and not who_can_reach(g, ROLE, via="assume").reachers


@pytest.mark.usefixtures("sso_rows")
def test_diff_follows_a_kind_added_as_a_row(monkeypatch: pytest.MonkeyPatch) -> None:
    # Hub ids differ between builds: the row's diff key matches the hub, so only the real change is reported.
    monkeypatch.setitem(NODE_SPECS, "sso-group", NodeSpec(
        "sso-group", Hub.ALWAYS, "SSO group", ("group", "groups"), (), (), needs_via=frozenset({"sso"}),
        diff_key=lambda data, node: f"sso group {data.get('label')}"))
    old = _sso_graph()
    new = nx.relabel_nodes(_sso_graph(), {"sso:engineers": "sso:7"})
    assert trust_changes(old, new) == []
    other = "arn:aws:iam::111111111111:role/Other"
    new.add_node(other, kind="role", account="111111111111", label="Other")
    new.add_edge("sso:7", other, kind="sso", conditional=False, conditions=[])
    [change] = trust_changes(old, new)
    assert (change.change, change.role, change.via, change.callers) == ("added", other, "sso group engineers", (USER,))


def test_a_row_removed_again_is_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setitem(NODE_SPECS, "sso-group", NodeSpec("sso-group", Hub.ALWAYS, "", ("", ""), (), ()))
        assert is_hub_data({"kind": "sso-group"})
    assert not is_hub_data({"kind": "sso-group"}) and "sso-group" not in schema._HUB_OF


def test_the_via_enum_is_the_built_in_groups() -> None:
    assert [str(v) for v in Via] == list(via_groups()[:-1])
