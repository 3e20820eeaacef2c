"""The trustgraph version, and the schema name of every JSON document it reads or writes: a bottom-level module,
so that every layer can name them without importing the API."""

__version__ = "0.1.0"

# The `schema` field of each JSON document, by document. Documents are contracts: fields are only ever added,
# so a version would change only if a field had to be renamed or dropped. Readers of the inputs recognise a
# document by the name before the version (`trustgraph/inventory/`).
SCHEMAS: dict[str, str] = {
    # answers of the commands (--json)
    "who-can-reach": "trustgraph/who-can-reach/v1",
    "reach": "trustgraph/reach/v1",
    "path": "trustgraph/path/v1",
    "explain": "trustgraph/explain/v1",
    "findings": "trustgraph/findings/v1",
    "check": "trustgraph/check/v1",  # guardrails: `check --rules`
    "chokepoints": "trustgraph/chokepoints/v1",  # the statements whose removal cuts the most reach
    "diff": "trustgraph/diff/v1",
    "export": "trustgraph/export/v1",  # what `export --json` wrote
    "manifest": "trustgraph/manifest/v1",  # what `collect` collected (also its manifest.json)
    # files written and read back
    "graph": "trustgraph/graph/v1",
    "review-files": "trustgraph/review-files/v1",
    "inventory": "trustgraph/inventory/v1",
    "organization": "trustgraph/organization/v1",
    "identity-center": "trustgraph/identity-center/v1",
    "cloudtrail-lookup": "trustgraph/cloudtrail-lookup/v1",  # first and last line of `collect --cloudtrail-days` files
}
