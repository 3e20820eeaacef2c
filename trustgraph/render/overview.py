"""The views of the trust map as one table (principals, accounts, OUs, the matrix): what draws each, which
formats it writes, and how `--view auto` picks one for the data. `trustgraph map`, `trustgraph review` and the
notebook draw through here, so that they show the same picture; the overview is the view auto picks, with the
sensitive and findings marks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from trustgraph.analysis.marks import MARKED_SEVERITY, findings_marks
from trustgraph.render import matrix_pages
from trustgraph.render.accounts import AccountMap, Folder, account_map, account_view, trust_only_note
from trustgraph.render.engine import FORMATS
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.matrix import TrustMatrix, matrix_view
from trustgraph.render.matrix_pages import MatrixPages, account_count, split_matrix
from trustgraph.render.matrix_rules import paint_rules
from trustgraph.render.ous import ou_map, ou_view
from trustgraph.render.people import NoPeopleData, people_view
from trustgraph.render.views import AUTO_ACCOUNT_VIEW, AUTO_ACCOUNTS, auto_view, principals_view

__all__ = ["AUTO_SUMMARY", "MARKED_SEVERITY", "OVERVIEW_MAX_NODES", "VIEWS", "VIEW_ROWS", "ViewOptionError",
           "ViewOptions", "ViewRow", "findings_marks", "has_ous", "overview", "pick_view"]

# `map --ou X` (an OU) and `map --view accounts` (the organization) holding more accounts than this are drawn as
# their matrix (a graph of them is a ring of chords).
DRILL_MATRIX_ABOVE = 40
# `map --view accounts` keeps the graph above DRILL_MATRIX_ABOVE accounts for these formats: the HTML explorer
# (its search, side panel and edge layer are built on the graph) and the DOT source (the matrix has none).
GRAPH_FORMATS = ("html", "dot")
# `trustgraph map --max-nodes` default: the most principals the auto view draws one by one.
OVERVIEW_MAX_NODES = 400


def has_ous(graph: nx.DiGraph, organization: Any) -> bool:
    """Whether the organization data places accounts in OUs (below the root)."""
    return any("/ou-" in path or path.count("/") > 2 for path in Folder(graph, organization, None, None)
               .org_accounts.values())


class ViewOptionError(ValueError):
    """The view cannot be drawn with these options or this data (the message says which option)."""


@dataclass(frozen=True)
class ViewOptions:
    """What a view is drawn with. The defaults are the overview's: the whole data, every account, no layout
    chosen."""

    organization: Any = None
    known_accounts: Mapping[str, str] | None = None
    marks: Marks = NO_MARKS
    max_nodes: int | None = OVERVIEW_MAX_NODES
    has_ous: bool = False  # the organization data places accounts in OUs (`has_ous`)
    focus: str | None = None  # principals: only this node and what reaches it
    depth: int | None = None
    account: str | None = None  # principals and accounts: only this account and what touches it
    ou: str | None = None  # OUs: drill into this OU
    by: str = "accounts"  # matrix: accounts or OUs on the axes
    engine: str | None = None  # the Graphviz layout; None: the view's own choice
    services: bool | None = None
    service_linked: bool = False
    note: str = ""
    partial: bool = False  # the graph is a filtered part of the data (`map --only`)
    snapshot: Any = None  # what the graph was built from (the people view reads its Identity Center assignments)
    output_format: str = ""  # the format written ("" when unknown): GRAPH_FORMATS keep the account graph
    usage: bool = False  # principals: each edge drawn by observed use (`--usage`, render/usage.py)
    # The account matrix of more accounts than `split_above` is an index and one page per OU (render/matrix_pages.py)
    # when written to a file (`output_file`, its name); to standard output ("-") it is one picture.
    split_above: int | None = None  # None: matrix_pages.SPLIT_ABOVE
    output_file: str = ""
    guardrails: Any = None  # matrix: `check`'s results (list[RuleResult]) painted on its cells (`map --rules`)


@dataclass(frozen=True)
class ViewRow:
    """One view. `chosen_by`: the options that make `auto` pick this view whatever the size of the data.
    `layout`: what the picture is laid out with when it is not Graphviz ("direct" for the matrix)."""

    name: str
    summary: str  # `map --view` help
    draw: Callable[[nx.DiGraph, ViewOptions], Any]
    formats: tuple[str, ...] = FORMATS
    chosen_by: Callable[[ViewOptions], bool] | None = None
    layout: str = ""


def _principals(graph: nx.DiGraph, opts: ViewOptions) -> Any:
    if opts.engine == "radial":
        raise ViewOptionError("--layout radial is for the account and OU views")
    return principals_view(graph, focus=opts.focus, depth=opts.depth, account=opts.account, max_nodes=opts.max_nodes,
                           service_linked=opts.service_linked, engine=opts.engine or "dot", marks=opts.marks,
                           note=opts.note, usage=opts.usage)


def _accounts(graph: nx.DiGraph, opts: ViewOptions) -> Any:
    if opts.engine is None and opts.account is None and opts.output_format not in GRAPH_FORMATS:
        # Above DRILL_MATRIX_ABOVE accounts the graph is a ring of hundreds of accounts and thousands of chords
        # scaled to a fraction: the organization's matrix reads instead, as `--ou X` draws above the same size.
        amap = account_map(graph, organization=opts.organization, known_accounts=opts.known_accounts,
                           services=opts.services, marks=opts.marks, all_accounts=not opts.partial,
                           partial=opts.partial)
        accounts = sum(1 for n in amap.nodes.values() if n.kind in ("account", "org-only"))
        if accounts > DRILL_MATRIX_ABOVE:
            title = (f"Trust matrix of the organization's {accounts:,} accounts (a matrix above "
                     f"{DRILL_MATRIX_ABOVE} accounts; --layout dot or radial, or -o FILE.html, draws the graph)")
            note = " — ".join(t for t in (trust_only_note(graph), opts.note) if t)
            if _splits(amap, opts):
                return split_matrix(graph, amap, index_file=opts.output_file, note=note)
            return matrix_view(graph, amap, by="accounts", title=title, note=note)
    return account_view(graph, organization=opts.organization, known_accounts=opts.known_accounts,
                        account=opts.account, engine=opts.engine, services=opts.services, marks=opts.marks,
                        all_accounts=not opts.partial, note=opts.note, partial=opts.partial)


def _ous(graph: nx.DiGraph, opts: ViewOptions) -> Any:
    if not opts.has_ous:
        raise ViewOptionError("the OU view needs organization data with OUs (an organization.json among the "
                              "inputs); try --view matrix or --view accounts")
    if opts.ou and opts.engine is None:
        # Drilled into a large OU, a graph is a ring of hundreds of accounts and thousands of chords scaled to a
        # quarter: its matrix (the OU's accounts one by one, the rest of the organization by OU) reads instead.
        amap = account_map(graph, organization=opts.organization, known_accounts=opts.known_accounts,
                           services=opts.services, marks=opts.marks, partial=opts.partial)
        omap = ou_map(graph, amap, ou=opts.ou)
        accounts = sum(1 for n in omap.nodes.values() if n.kind in ("account", "org-only"))
        if accounts > DRILL_MATRIX_ABOVE:
            title = (f"OU {opts.ou}: trust matrix of its {accounts:,} accounts, the rest of the organization by OU "
                     f"(a matrix above {DRILL_MATRIX_ABOVE} accounts; --layout dot or radial draws the graph)")
            note = " — ".join(t for t in (trust_only_note(graph), opts.note) if t)
            return matrix_view(graph, omap, by="accounts", title=title, note=note)
    return ou_view(graph, organization=opts.organization, known_accounts=opts.known_accounts, ou=opts.ou,
                   engine=opts.engine, services=opts.services, marks=opts.marks, note=opts.note,
                   partial=opts.partial)


def _matrix(graph: nx.DiGraph, opts: ViewOptions) -> Any:
    amap = account_map(graph, organization=opts.organization, known_accounts=opts.known_accounts,
                       services=opts.services, marks=opts.marks)
    results = opts.guardrails

    def paint(drawn: AccountMap, m: TrustMatrix) -> object:
        return paint_rules(graph, drawn, m, results)

    painter = paint if results is not None else None
    if opts.by == "ous":
        if not opts.has_ous:
            raise ViewOptionError("--by ous needs organization data with OUs (an organization.json)")
        amap = ou_map(graph, amap)
    elif _splits(amap, opts):
        return split_matrix(graph, amap, index_file=opts.output_file, note=opts.note, paint=painter)
    return matrix_view(graph, amap, by=opts.by, note=opts.note, paint=painter)


def account_matrix_pages(graph: nx.DiGraph, *, organization: Any, marks: Marks = NO_MARKS,
                         index_file: str) -> MatrixPages | None:
    """The account matrix split into pages (render/matrix_pages.py) when `map --view matrix -o FILE` would split it:
    above SPLIT_ABOVE accounts, with OUs; else None. The review bundle links it from its main page."""
    if not has_ous(graph, organization):
        return None
    folder = Folder(graph, organization, None, None)
    if len(folder.org_accounts.keys() | folder.in_data | folder.names.keys()) <= matrix_pages.SPLIT_ABOVE:
        return None  # no more accounts than that to draw: the account map is not worth making
    amap = account_map(graph, organization=organization, marks=marks)
    if account_count(amap) <= matrix_pages.SPLIT_ABOVE:
        return None
    return split_matrix(graph, amap, index_file=index_file, note=trust_only_note(graph))


def _splits(amap: AccountMap, opts: ViewOptions) -> bool:
    """Whether the account matrix of `amap` is split into pages (render/matrix_pages.py): above `split_above`
    accounts, written to a file, with OUs to split by."""
    above = matrix_pages.SPLIT_ABOVE if opts.split_above is None else opts.split_above
    return opts.output_file not in ("", "-") and opts.has_ous and account_count(amap) > above


def _people(graph: nx.DiGraph, opts: ViewOptions) -> Any:
    if opts.focus or opts.ou:
        raise ViewOptionError(f"{'--focus' if opts.focus else '--ou'} is not for the people view")
    if opts.engine == "radial":
        raise ViewOptionError("--layout radial is for the account and OU views")
    if opts.partial:
        raise ViewOptionError("--only filters trust; the people view draws Identity Center assignments")
    try:
        return people_view(graph, opts.snapshot, organization=opts.organization, marks=opts.marks,
                           account=opts.account, engine=opts.engine, note=opts.note)
    except NoPeopleData as exc:
        raise ViewOptionError(str(exc)) from None


# The views, in the order of `map --view` and of the options that choose one for `auto` (a focus or an
# account before an OU before --by ous). A new view is one row here and the module that draws it.
VIEW_ROWS: tuple[ViewRow, ...] = (
    ViewRow("principals", "every user and role", _principals,
            chosen_by=lambda opts: bool(opts.focus or opts.account)),
    ViewRow("accounts", "one node per account", _accounts),
    ViewRow("ous", "one node per OU, the outside world grouped", _ous, chosen_by=lambda opts: bool(opts.ou)),
    # Drawn directly (render/scene.py), not by Graphviz: there is no DOT source to write.
    ViewRow("matrix", "accounts (or OUs, --by) on both axes", _matrix,
            formats=tuple(f for f in FORMATS if f != "dot"), chosen_by=lambda opts: opts.by == "ous",
            layout="direct"),
    # Never picked by auto: it draws Identity Center assignments, not trust. Graphviz up to a size, then grids
    # drawn directly (so no DOT source then).
    ViewRow("people", "Identity Center groups and users → permission sets → accounts or OUs", _people),
)
VIEWS: dict[str, ViewRow] = {row.name: row for row in VIEW_ROWS}
AUTO_SUMMARY = (f"principals up to {AUTO_ACCOUNTS} accounts and --max-nodes principals, accounts up to "
                f"{AUTO_ACCOUNT_VIEW} accounts, then ous with organization data, else matrix")


def pick_view(graph: nx.DiGraph, opts: ViewOptions) -> ViewRow:
    """The view `auto` draws: the first whose options were given, else the one that reads for the size of the
    data (`views.auto_view`)."""
    chosen = next((row for row in VIEW_ROWS if row.chosen_by is not None and row.chosen_by(opts)), None)
    return chosen or VIEWS[auto_view(graph, opts.max_nodes, opts.has_ous)]


def overview(graph: nx.DiGraph, *, organization: Any = None, marks: Marks = NO_MARKS,
             known_accounts: Mapping[str, str] | None = None,
             max_nodes: int | None = OVERVIEW_MAX_NODES) -> tuple[str, Any]:
    """(view name, picture) of the view `--view auto` picks: "principals", "accounts", "ous" or "matrix"."""
    opts = ViewOptions(organization=organization, known_accounts=known_accounts, marks=marks, max_nodes=max_nodes,
                       has_ous=has_ous(graph, organization))
    row = pick_view(graph, opts)
    return row.name, row.draw(graph, opts)
