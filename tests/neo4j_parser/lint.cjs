// Lint Cypher statements with Neo4j's own parser (@neo4j-cypher/language-support, the one of Neo4j's language
// server and query tools): `node lint.cjs INSTALL_DIR < statements.json > problems.json`. Reads a JSON list of
// statements; writes one list per statement of [severity, message, line, character] (severity 1 error,
// 2 warning: deprecations among them). Undeclared $parameters are no problem of the text.
const path = require("path");
const support = require(path.join(process.argv[2], "node_modules", "@neo4j-cypher", "language-support"));

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const problems = JSON.parse(input).map((statement) =>
    support.lintCypherQuery(statement, {}).diagnostics
      .filter((d) => support.isNotParamError(d))
      .map((d) => [d.severity, d.message, d.range.start.line, d.range.start.character]));
  process.stdout.write(JSON.stringify(problems));
});
