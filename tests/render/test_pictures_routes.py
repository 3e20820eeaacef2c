"""Pictures show every route: the principals and --account views draw PassRole, code and IAM edges (styled by
kind, as `who-can-reach -o` draws them) and the principals whose only reach is indirect; the views that keep to
trust edges say in their title what they leave out."""

from __future__ import annotations

import re

from test_render_accounts import acme_graph

from trustgraph.analysis.reachability import restrict
from trustgraph.graph.schema import EdgeKind, Via
from trustgraph.render.accounts import account_view
from trustgraph.render.ous import ou_view
from trustgraph.render.style import EDGE_STYLE
from trustgraph.render.views import principals_view

DEV = "arn:aws:iam::666666666666:user/"
BREAK_GLASS = "arn:aws:iam::444444444444:role/BreakGlass"


def _drawn(dot) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """node → its element id, a folded member by its group's."""
    return {n: k.removeprefix("node-") for k, v in dot.evidence.items() if k.startswith("node-")
            for n in [v["id"], *v.get("folded", ())]}


def _edge_colours(dot, src_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(re.findall(rf"^\s*{src_id} -> \w+ \[[^\]]*color=\"(#[0-9a-f]+)\"", dot.source, re.M))


def test_principals_view_draws_passrole_code_and_iam_routes() -> None:
    graph, _ = acme_graph()
    dot = principals_view(graph)
    drawn = _drawn(dot)
    for user in ("dev-erin", "dev-faye", "dev-dan"):
        assert DEV + user in drawn, user
    assert "arn:aws:iam::333333333333:user/jenkins-legacy" in drawn
    assert EDGE_STYLE[EdgeKind.PASSROLE]["color"] in _edge_colours(dot, drawn[DEV + "dev-erin"])
    assert EDGE_STYLE[EdgeKind.CODE]["color"] in _edge_colours(dot, drawn[DEV + "dev-faye"])
    assert "PassRole/code/IAM" in dot.title
    # negative control: the trust-only graph of the same data leaves dev-erin out (she has no trust edge)
    trust_only = principals_view(restrict(graph, Via.ASSUME))
    assert DEV + "dev-erin" not in _drawn(trust_only)


def test_admin_fan_out_is_said_in_the_admin_node_not_drawn() -> None:
    graph, _ = acme_graph()
    dot = principals_view(graph)
    drawn = _drawn(dot)
    admin = drawn["admin:444444444444"]
    assert "takes over" in dot.source and "account-admin edges" in dot.title
    assert not re.search(rf"^\s*{admin} -> {drawn[BREAK_GLASS]} ", dot.source, re.M)
    # negative control: the admin node's edges to other hubs stay (the management admin → member admins)
    mgmt = drawn["admin:111111111111"]
    assert re.search(rf"^\s*{mgmt} -> {admin} ", dot.source, re.M)


def test_account_view_of_principals_draws_indirect_routes() -> None:
    graph, _ = acme_graph()
    dev = _drawn(principals_view(graph, account="666666666666"))
    assert {DEV + "dev-erin", DEV + "dev-faye", "admin:666666666666"} <= set(dev)
    # negative control: another account's picture does not draw acme-dev's users
    assert DEV + "dev-erin" not in _drawn(principals_view(graph, account="444444444444"))


def test_trust_only_views_say_what_they_leave_out() -> None:
    graph, org = acme_graph()
    for dot in (account_view(graph, organization=org), ou_view(graph, organization=org)):
        assert re.search(r"trust edges only; \d+ PassRole/code/IAM edges not drawn", dot.title), dot.title
    # negative control: data with no PassRole, code or IAM edge has nothing to say
    plain = restrict(graph, Via.ASSUME)
    assert "not drawn" not in account_view(plain, organization=org).title
