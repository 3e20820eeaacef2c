"""The OU trust matrix of the review's main page, as a table: the matrix view's numbers (render/matrix.py, on the
OU map the OU view draws), one row per OU and per group of outside callers, one column per OU.

Without OU data the accounts themselves are the rows and columns, up to MAX_ACCOUNTS of them; above that the main
page has no matrix (a table of a thousand columns is no summary) and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from trustgraph.render.accounts import account_map
from trustgraph.render.marks import NO_MARKS, Marks
from trustgraph.render.matrix import trust_matrix
from trustgraph.render.ous import ou_map
from trustgraph.render.overview import has_ous

MAX_ACCOUNTS = 12


def pages_line(matrix: MatrixTable) -> str:
    """The sentence that points to the account matrix's pages (Markdown and HTML write it as a link)."""
    return (f"The account matrix, each account one by one, is drawn one page per OU ({matrix.page_count} pages in "
            f"{matrix.pages.rsplit('.', 1)[0]}/); its index:")


@dataclass(frozen=True, slots=True)
class MatrixTable:
    by: str  # "ous" | "accounts"
    columns: list[str]  # the roles' side
    rows: list[tuple[str, list[str]]]  # (the callers' side, one cell text per column: "" for no trust)
    note: str  # what a cell says
    pages: str = ""  # the account matrix split into pages, one per OU: its index file in the bundle
    page_count: int = 0

    @property
    def what(self) -> str:
        return "OU" if self.by == "ous" else "account"


def _cell(trusts: int, conditional: int, sensitive: int) -> str:
    text = f"{trusts:,}"
    if conditional:
        text += f" ({conditional:,} cond.)"
    return text + (" ⚠" if sensitive else "")


def matrix_table(graph: nx.DiGraph, organization: Any, marks: Marks = NO_MARKS) -> MatrixTable | None:
    """The OU matrix (with OU data), else the account matrix of a small organization, else None."""
    amap = account_map(graph, organization=organization, marks=marks)
    if has_ous(graph, organization):
        by, amap = "ous", ou_map(graph, amap)
    else:
        by = "accounts"
        if sum(1 for n in amap.nodes.values() if n.kind in ("account", "org-only")) > MAX_ACCOUNTS:
            return None
    m = trust_matrix(graph, amap, by=by)
    if not m.cols:
        return None
    rows = [(u.title + (f" ({u.detail})" if u.detail else ""),
             [_cell(c.trusts, c.conditional, c.sensitive) if (c := m.cells.get((i, j))) else ""
              for j in range(len(m.cols))]) for i, u in enumerate(m.rows)]
    note = ("Each cell: the role trusts from the row's principals (callers) into the column's roles, how many of "
            "them hold only under run-time conditions" + (", and ⚠ when some reach sensitive roles" if marks else "")
            + ". The diagonal is the trust inside one " + ("OU." if by == "ous" else "account."))
    return MatrixTable(by, [u.title for u in m.cols], rows, note)
