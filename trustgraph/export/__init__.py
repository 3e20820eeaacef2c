"""The trust graph in other tools' formats: BloodHound OpenGraph JSON, Neo4j (import CSVs and a Cypher
loader), GraphML and GEXF. Pure: graph → documents; the CLI (`trustgraph export`) writes the files."""
