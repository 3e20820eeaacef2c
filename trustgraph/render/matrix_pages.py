"""The account matrix of a large organization, split: an index (the OU matrix, each OU linked to its page) and one
page per OU that holds accounts directly.

One picture of 1,000 accounts is 6 px a cell and 5 px a label: nothing reads at page size. A page draws one OU's
accounts one by one, on both axes, and the rest of the organization folded by OU (as `map --ou X` drills), so the
OU's row labels, its column labels and the trust between it and every other OU read at 12 px; the rows of an
account's whole organization (1,000 columns) would be 7 px a column again. docs/pictures.md says why.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

import networkx as nx

from trustgraph.render.accounts import AccountMap
from trustgraph.render.matrix import TrustMatrix, matrix_scene, trust_matrix
from trustgraph.render.ous import OUTSIDE_ORG, Chain, account_chain, chain_label, ou_map
from trustgraph.render.scene import Scene

# The account matrix of more accounts than this is split (`map --view matrix -o FILE`, `--view accounts` above
# DRILL_MATRIX_ABOVE): at 300 accounts and the outside rows a cell is still 22 px and a label 12 px.
SPLIT_ABOVE = 300


@dataclass
class MatrixPage:
    chain: Chain
    name: str  # the page's file name without its suffix, file-safe
    title: str  # the OU path
    accounts: int
    scene: Scene


@dataclass
class MatrixPages:
    """A split matrix: `index` is written to the file asked for, each page to `<stem>/<page name>.<suffix>`
    beside it (the links of the index say so)."""

    index: Scene
    pages: list[MatrixPage] = field(default_factory=list)
    title: str = ""


def page_name(k: int, amap: AccountMap, chain: Chain) -> str:
    """`03-prod-ou-ab12-cdef5678`: ordered as the index, readable, unique (the OU id)."""
    if chain == OUTSIDE_ORG:
        words = "outside-organization"
    elif not chain:
        words = "root"
    else:
        words = re.sub(r"[^a-z0-9]+", "-", amap.ou_names.get(chain[-1], "").lower()).strip("-")[:40]
        words = f"{words}-{chain[-1]}" if words else chain[-1]
        words = re.sub(r"[^A-Za-z0-9_.-]+", "-", words)
    return f"{k:02d}-{words}"


def account_count(amap: AccountMap) -> int:
    return sum(1 for n in amap.nodes.values() if n.kind in ("account", "org-only"))


def pages_folder(index_file: str) -> tuple[str, str]:
    """(the pages' directory beside the index, their suffix): `matrix.svg` → (`matrix`, `svg`)."""
    stem, _, suffix = PurePath(index_file).name.rpartition(".")
    return (stem or index_file), (suffix if stem else "svg")


def split_matrix(graph: nx.DiGraph, amap: AccountMap, *, index_file: str, note: str = "",
                 paint: Callable[[AccountMap, TrustMatrix], object] | None = None) -> MatrixPages:
    """The index and the pages of the account matrix of `amap` (an account map of the whole organization).
    `index_file`: the index's file name (the pages go to a directory named after its stem, in its format);
    `paint`: marks added to each matrix before it is drawn (`map --rules`)."""
    folder, suffix = pages_folder(index_file)
    by_chain: dict[Chain, int] = defaultdict(int)
    for node in amap.nodes.values():
        if node.kind in ("account", "org-only"):
            by_chain[account_chain(node)] += 1
    # The index's order: the matrix's own (its bands), outside the organization last.
    chains = sorted(by_chain, key=lambda c: (c == OUTSIDE_ORG, [chain_label(amap, c[:i + 1]).lower()
                                                                 for i in range(len(c))]))
    pages: list[MatrixPage] = []
    total = account_count(amap)
    for k, chain in enumerate(chains, 1):
        omap = ou_map(graph, amap, drill=chain)
        label = chain_label(amap, chain)
        title = (f"Trust matrix, page {k} of {len(chains)}: {label}, its {by_chain[chain]:,} account"
                 f"{'s' if by_chain[chain] != 1 else ''} one by one, the rest of the organization by OU")
        m = trust_matrix(graph, omap, by="accounts", title=title)
        if paint is not None:
            paint(omap, m)
        lines = [f"one page of the {total:,}-account matrix; the index, {PurePath(index_file).name}, is the OU "
                 "matrix with every page"]
        pages.append(MatrixPage(chain, page_name(k, amap, chain), label, by_chain[chain],
                                matrix_scene(graph, omap, m, note=note, legend_extra=lines)))
    omap = ou_map(graph, amap)
    title = (f"Trust matrix of the organization's {total:,} accounts, by OU: the index of {len(pages)} pages, one per "
             "OU (in SVG each OU's label links to its page)")
    m = trust_matrix(graph, omap, by="ous", title=title)
    if paint is not None:
        paint(omap, m)
    keys = {page.chain: "ou:" + ("-" if page.chain == OUTSIDE_ORG else "/".join(page.chain)) for page in pages}
    links = {keys[p.chain]: f"{folder}/{p.name}.{suffix}" for p in pages}
    lines = [f"page {p.name}.{suffix}: {p.title} ({p.accounts:,} account{'s' if p.accounts != 1 else ''})"
             for p in pages]
    index = matrix_scene(graph, omap, m, note=note, links=links,
                         legend_extra=[f"the accounts one by one: one page per OU in {folder}/", *lines])
    index.data["pages"] = [{"ou": p.title, "chain": list(p.chain), "accounts": p.accounts,
                            "file": f"{folder}/{p.name}.{suffix}"} for p in pages]
    return MatrixPages(index, pages, title)
