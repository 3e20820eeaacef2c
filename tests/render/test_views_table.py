"""The table of views (render/overview.py VIEW_ROWS): `map --view` offers its rows, each row draws the formats
it declares, and `auto` picks by the options given before the size of the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from trustgraph.cli.map_cmd import VIEWS as MAP_VIEWS
from trustgraph.render.engine import FORMATS, picture_bytes
from trustgraph.render.overview import VIEW_ROWS, VIEWS, ViewOptionError, ViewOptions, has_ous, overview, pick_view
from trustgraph.render.views import auto_view

SAMPLES = Path(__file__).parents[2] / "samples"


@pytest.fixture(scope="module")
def acme() -> tuple[Any, Any]:
    from trustgraph.graph.build import build_graph
    from trustgraph.sources.files import load_inputs

    snapshot, _ = load_inputs([SAMPLES / "acme"])
    return build_graph(snapshot), snapshot.organization


@pytest.fixture(scope="module")
def acme_snapshot() -> Any:
    from trustgraph.sources.files import load_inputs

    return load_inputs([SAMPLES / "acme"])[0]


def test_map_offers_the_table_rows_in_order() -> None:
    assert MAP_VIEWS == ("auto", "principals", "accounts", "ous", "matrix", "people")
    assert tuple(VIEWS) == tuple(row.name for row in VIEW_ROWS) == MAP_VIEWS[1:]
    assert all(set(row.formats) <= set(FORMATS) for row in VIEW_ROWS)


@pytest.mark.parametrize("name", [row.name for row in VIEW_ROWS])
def test_each_view_draws_the_formats_it_declares(name: str, acme: tuple[Any, Any], acme_snapshot: Any) -> None:
    graph, organization = acme
    row = VIEWS[name]
    picture = row.draw(graph, ViewOptions(organization=organization, has_ous=has_ous(graph, organization),
                                          snapshot=acme_snapshot))
    for fmt in FORMATS:
        if fmt in row.formats:
            assert picture_bytes(picture, fmt), fmt
        else:
            with pytest.raises(ValueError):
                picture_bytes(picture, fmt)


def test_auto_picks_by_options_then_by_size(acme: tuple[Any, Any]) -> None:
    graph, organization = acme
    opts = ViewOptions(organization=organization, has_ous=True)
    assert pick_view(graph, opts).name == auto_view(graph, opts.max_nodes, True)
    assert pick_view(graph, ViewOptions(max_nodes=5, has_ous=True)).name == auto_view(graph, 5, True)
    # A focus or an account before an OU before --by ous, as `map` always chose.
    assert pick_view(graph, ViewOptions(focus="x", ou="Prod", by="ous")).name == "principals"
    assert pick_view(graph, ViewOptions(account="x", ou="Prod", by="ous")).name == "principals"
    assert pick_view(graph, ViewOptions(ou="Prod", by="ous")).name == "ous"
    assert pick_view(graph, ViewOptions(by="ous")).name == "matrix"


def test_overview_is_the_auto_row(acme: tuple[Any, Any]) -> None:
    graph, organization = acme
    view, picture = overview(graph, organization=organization)
    row = pick_view(graph, ViewOptions(organization=organization, has_ous=has_ous(graph, organization)))
    assert view == row.name
    again = row.draw(graph, ViewOptions(organization=organization, has_ous=has_ous(graph, organization)))
    assert picture_bytes(picture, "svg") == picture_bytes(again, "svg")


def test_views_that_need_ous_say_so(acme: tuple[Any, Any]) -> None:
    graph, organization = acme
    with pytest.raises(ViewOptionError, match="the OU view needs organization data with OUs"):
        VIEWS["ous"].draw(graph, ViewOptions(organization=organization, has_ous=False))
    with pytest.raises(ViewOptionError, match="--by ous needs organization data with OUs"):
        VIEWS["matrix"].draw(graph, ViewOptions(organization=organization, by="ous", has_ous=False))
    with pytest.raises(ViewOptionError, match="--layout radial is for the account and OU views"):
        VIEWS["principals"].draw(graph, ViewOptions(engine="radial"))
