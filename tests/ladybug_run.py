"""Run Cypher on an embedded LadybugDB database (Kùzu's maintained fork), in a process of its own: a crash inside
its native code (Kùzu has segfaulted on path enumeration) then fails one test with a message instead of the test
run. (A process imports one of the two engines: Kùzu's and LadybugDB's native libraries cannot both be loaded.)

    python ladybug_run.py DIR < request.json > rows.json

The request: {"load": true to create DIR/db from the load-kuzu.cypher and CSVs of DIR first,
"queries": [[text, parameters], …]}; the answer: one list of rows per query, each row a list of values.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    import real_ladybug as ladybug

    directory = Path(sys.argv[1])
    request = json.load(sys.stdin)
    connection = ladybug.Connection(ladybug.Database(str(directory / "db")))
    if request.get("load"):
        os.chdir(directory)  # the loader names its CSVs relative to its own directory
        for statement in (directory / "load-kuzu.cypher").read_text().split(";\n"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("//")).strip()
            if body:
                connection.execute(body)
    answers = []
    for text, parameters in request.get("queries", ()):
        result = connection.execute(text, parameters)
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        answers.append(rows)
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
