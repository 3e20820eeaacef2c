"""The ready Cypher queries of docs/export.md, for a Neo4j database loaded by `load.cypher`.

Each follows trustgraph's rules: paths use only exported relationships (those with a `hop` property),
`member` relationships cost no hop, hubs are waypoints and never answers. Kùzu (which the tests run them on)
has no `reduce`, so the hop sum is the one engine-specific part: `HOPS` below is filled per engine.
"""

from __future__ import annotations

# Longest chain a query follows, in relationships (member ones included). Raise it for deep org graphs.
MAX_PATH = 8

_HOPS = {
    "neo4j": "reduce(h = 0, r IN relationships(p) | h + r.hop)",
    "kuzu": "list_sum(properties(relationships(p), 'hop'))",
}

_QUERIES = {
    # $id: the node id of the target (a role ARN).
    "who-can-reach": f"""
MATCH p = (a:TrustGraph)-[*1..{MAX_PATH}]->(t:TrustGraph {{id: $id}})
WHERE NOT a.hub AND a.id <> t.id AND all(r IN relationships(p) WHERE r.hop IS NOT NULL)
WITH a, HOPS AS hops, all(r IN relationships(p) WHERE NOT r.conditional) AS firm
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
    "longest-chains": f"""
MATCH p = (a:TrustGraph)-[*1..{MAX_PATH}]->(t:TrustGraph {{kind: 'role'}})
WHERE NOT a.hub AND a.id <> t.id AND all(r IN relationships(p) WHERE r.hop IS NOT NULL AND NOT r.conditional)
WITH a, t, min(HOPS) AS hops
RETURN a.id AS principal, t.id AS role, hops
ORDER BY hops DESC, principal, role
LIMIT 25
""",
}

TITLES = {
    "who-can-reach": "Who can reach a role (each principal's shortest chain; unconditional preferred)",
    "outside-trust": "Trust from outside the organization (classification not same-account or same-org)",
    "longest-chains": "Longest unconditional chains (principal → role, shortest chain of each pair)",
}


def query(name: str, engine: str = "neo4j") -> str:
    """The query text for `engine` (neo4j or kuzu)."""
    return _QUERIES[name].replace("HOPS", _HOPS[engine]).strip() + "\n"


def names() -> list[str]:
    return list(_QUERIES)
