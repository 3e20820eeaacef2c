"""Drill-downs that read: above DRILL_MATRIX_ABOVE accounts, `map --ou X` draws the OU's matrix (its accounts one
by one, the rest of the organization by OU) instead of a ring of chords."""

from __future__ import annotations

from test_render_accounts import org_graph

from trustgraph.render.dot import TrustDot
from trustgraph.render.overview import DRILL_MATRIX_ABOVE, VIEWS, ViewOptions
from trustgraph.render.scene import Scene


def test_drilling_into_a_large_ou_draws_its_matrix() -> None:
    big = org_graph(2 * DRILL_MATRIX_ABOVE + 10)  # half the accounts are in Prod
    picture = VIEWS["ous"].draw(big, ViewOptions(has_ous=True, ou="Prod"))
    assert isinstance(picture, Scene)
    svg = picture.draw("svg").decode()
    assert "trust matrix of its" in svg and "app-0003" in svg
    # an explicit layout still draws the graph
    assert isinstance(VIEWS["ous"].draw(big, ViewOptions(has_ous=True, ou="Prod", engine="dot")), TrustDot)


def test_drilling_into_a_small_ou_draws_its_graph() -> None:
    small = org_graph(20)
    assert isinstance(VIEWS["ous"].draw(small, ViewOptions(has_ous=True, ou="Prod")), TrustDot)


def test_accounts_view_of_a_large_organization_draws_its_matrix() -> None:
    big = org_graph(DRILL_MATRIX_ABOVE + 10)
    picture = VIEWS["accounts"].draw(big, ViewOptions())
    assert isinstance(picture, Scene)
    svg = picture.draw("svg").decode()
    assert "Trust matrix of the organization" in svg and f"{DRILL_MATRIX_ABOVE + 10} accounts (a matrix above" in svg
    assert "app-0003" in svg
    # a layout, one account, or a format built on the graph (the HTML explorer, the DOT source) keeps the graph
    for opts in (ViewOptions(engine="dot"), ViewOptions(engine="radial"), ViewOptions(account="100000000000"),
                 ViewOptions(output_format="html"), ViewOptions(output_format="dot")):
        assert isinstance(VIEWS["accounts"].draw(big, opts), TrustDot), opts


def test_accounts_view_of_a_small_organization_draws_its_graph() -> None:
    small = org_graph(DRILL_MATRIX_ABOVE)
    assert isinstance(VIEWS["accounts"].draw(small, ViewOptions(output_format="svg")), TrustDot)
