"""The ready Cypher queries of docs/export.md, for a Neo4j database loaded by `load.cypher`.

Each follows trustgraph's rules: paths use only exported relationships (those with a `hop` property), the
`hop` of each relationship is what reachability counts for it (`hop_cost`: edges into hubs cost none), hubs
are waypoints and never answers. Paths are acyclic: a shortest chain never repeats a node, and the graph has
cycles (role → its account's admin node → role) through which unbounded walks multiply without end.

LadybugDB (Kùzu's maintained fork, which the tests run them on) differs in syntax, so the engine-specific parts
are placeholders filled per engine: the path patterns, the hop sum (it has no `reduce`) and the test for an
unconditional path (Kùzu 0.11's list quantifier over a path's relationships crashed on large path sets). Neo4j's
path is the `ACYCLIC` path mode of Cypher 25 (Neo4j 2026.04+) with a quantified relationship; LadybugDB's
`[* ACYCLIC …]`, and for a shortest chain per pair its weighted shortest path on `hop`, which Neo4j has only in
plugins. The engine name `kuzu` still gives the LadybugDB text (the two answer alike).
"""

from __future__ import annotations

# Longest chain a query follows, in relationships (member ones included). Raise it for deep org graphs.
MAX_PATH = 8

_PARTS = {
    "neo4j": {
        "PREFIX": "CYPHER 25",
        "EVERY(": f"ACYCLIC (a:TrustGraph)-[r WHERE FILTER]->{{1,{MAX_PATH}}}(",
        "CHEAPEST(": f"ACYCLIC (a:TrustGraph)-[r WHERE FILTER]->{{1,{MAX_PATH}}}(",
        "HOPS": "reduce(h = 0, x IN relationships(p) | h + x.hop)",
        "FIRM": "none(x IN relationships(p) WHERE x.conditional)",
    },
    "ladybug": {
        "PREFIX": "",
        "EVERY(": f"(a:TrustGraph)-[* ACYCLIC 1..{MAX_PATH} (r, _ | WHERE FILTER)]->(",
        "CHEAPEST(": f"(a:TrustGraph)-[* WSHORTEST(hop) 1..{MAX_PATH} (r, _ | WHERE FILTER)]->(",
        "HOPS": "list_sum(properties(relationships(p), 'hop'))",
        "FIRM": "NOT list_contains(properties(relationships(p), 'conditional'), true)",
    },
}

_QUERIES = {
    # $id: the node id of the target (a role ARN).
    "who-can-reach": """PREFIX
MATCH p = EVERY(t:TrustGraph {id: $id})
WHERE NOT a.hub AND a.id <> t.id
WITH a, HOPS AS hops, FIRM AS firm
WITH a, min(CASE firm WHEN true THEN hops END) AS firm_hops, min(hops) AS any_hops
RETURN a.id AS principal, a.kind AS kind, coalesce(firm_hops, any_hops) AS hops,
       firm_hops IS NULL AS conditional
ORDER BY conditional, hops, principal
""",
    "outside-trust": """
MATCH (a:TrustGraph)-[r]->(b:TrustGraph)
WHERE r.hop = 1 AND NOT r.classification IN ['same-account', 'same-org']
RETURN a.id AS caller, r.kind AS how, b.id AS role, r.classification AS classification,
       r.conditional AS conditional
ORDER BY classification, role, caller
""",
    "longest-chains": """PREFIX
MATCH p = CHEAPEST(t:TrustGraph {kind: 'role'})
WHERE NOT a.hub AND a.id <> t.id
WITH a, t, min(HOPS) AS hops
RETURN a.id AS principal, t.id AS role, hops
ORDER BY hops DESC, principal, role
LIMIT 25
""",
}

# What each path query asks of every relationship it follows (exported ones have a `hop`).
_FILTERS = {"who-can-reach": "r.hop IS NOT NULL", "longest-chains": "r.hop IS NOT NULL AND NOT r.conditional"}
_ENGINES = {"neo4j": "neo4j", "ladybug": "ladybug", "kuzu": "ladybug"}  # kuzu: LadybugDB under its former name

TITLES = {
    "who-can-reach": "Who can reach a role (each principal's shortest chain; unconditional preferred)",
    "outside-trust": "Trust from outside the organization (classification not same-account or same-org)",
    "longest-chains": "Longest unconditional chains (principal → role, shortest chain of each pair)",
}


def query(name: str, engine: str = "neo4j") -> str:
    """The query text for `engine` (neo4j, or ladybug: LadybugDB's, also under its former name kuzu)."""
    text = _QUERIES[name]
    for placeholder, part in _PARTS[_ENGINES[engine]].items():
        text = text.replace(placeholder, part.replace("FILTER", _FILTERS.get(name, "")))
    return text.strip() + "\n"


def names() -> list[str]:
    return list(_QUERIES)
