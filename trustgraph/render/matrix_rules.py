"""Guardrails painted on the matrix (`map --view matrix --rules FILE`, docs/guardrails.md, docs/pictures.md).

A cell a rule forbids: a principal its row holds is judged by a `deny` rule (or an `allow_only` rule that does not
let it through) and its column holds a role the rule guards. The cell is forbidden at the matrix's granularity:
some principal of the row may not reach some role of the column (other principals of the same row may be
allowed). A cell that breaks a rule: a violation of `check` whose principal is in the row and whose role (the
nearest guarded role its violating path reaches, as `check` reports it) in the column; its count is the number of
such violations. `require_conditions` rules forbid nothing (a path with the conditions is allowed); their
violations are painted as broken cells.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from trustgraph.analysis.guardrails import RuleKind, RuleResult
from trustgraph.graph.schema import graph_dicts, is_answer
from trustgraph.render.accounts import AccountMap
from trustgraph.render.matrix import TrustMatrix

Cell = tuple[int, int]


@dataclass
class RulePaint:
    forbidden: dict[Cell, list[str]] = field(default_factory=dict)  # cell → ids of the rules forbidding it
    broken: dict[Cell, Counter[str]] = field(default_factory=dict)  # cell → rule id → violations
    unplaced: int = 0  # violations whose principal or role is in no row or column (not drawn)

    def as_json(self) -> list[dict[str, object]]:
        cells = sorted(set(self.forbidden) | set(self.broken))
        return [{"row": i, "column": j, "forbidden_by": self.forbidden.get((i, j), []),
                 "violations": sum(self.broken[i, j].values()) if (i, j) in self.broken else 0,
                 "violations_by_rule": dict(sorted(self.broken.get((i, j), Counter()).items()))}
                for i, j in cells]


def _units(amap: AccountMap, m: TrustMatrix) -> tuple[dict[str, int], dict[str, int]]:
    """graph node → its row, graph node → its column (through the map node it is folded into)."""
    row_of = {u.key: i for i, u in enumerate(m.rows)}
    col_of = {u.key: j for j, u in enumerate(m.cols)}
    rows: dict[str, int] = {}
    cols: dict[str, int] = {}
    for node in amap.nodes.values():
        for member in node.members:
            if node.key in row_of:
                rows[member] = row_of[node.key]
            if node.key in col_of:
                cols[member] = col_of[node.key]
    return rows, cols


def paint_rules(graph: nx.DiGraph, amap: AccountMap, m: TrustMatrix, results: Iterable[RuleResult]) -> RulePaint:
    """The forbidden and broken cells of `m` (see the module docstring); kept on the matrix (`m.rules`) for
    drawing."""
    rows, cols = _units(amap, m)
    nodes = graph_dicts(graph).nodes
    paint = RulePaint()
    forbidden: dict[Cell, set[str]] = defaultdict(set)
    for result in results:
        rule = result.rule
        if rule.kind in (RuleKind.DENY, RuleKind.ALLOW_ONLY):
            judged: Iterable[str] = result.judged if result.judged is not None else \
                (n for n, d in nodes.items() if is_answer(d))  # as `check` judges: every answer
            let_through = result.allowed if rule.kind is RuleKind.ALLOW_ONLY else frozenset()
            from_rows = {rows[n] for n in judged if n in rows and n not in let_through}
            to_cols = {cols[n] for n in result.targets if n in cols}
            for i in from_rows:
                for j in to_cols:
                    forbidden[i, j].add(rule.id)
        for v in result.violations:
            row, col = rows.get(v.principal), cols.get(v.role)
            if row is None or col is None:
                paint.unplaced += 1
                continue
            paint.broken.setdefault((row, col), Counter())[rule.id] += 1
    paint.forbidden = {cell: sorted(ids) for cell, ids in sorted(forbidden.items())}
    m.rules = paint
    return paint
