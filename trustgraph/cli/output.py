"""Printing answers: JSON or rows (tsv, csv) on stdout for machines, rich tables for people."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
import networkx as nx
from rich.console import Console

from trustgraph.cli.terminal import StdoutConsole
from trustgraph.export.neo4j import csv_text
from trustgraph.graph.schema import EDGE_SPECS, Via, edge_spec, is_hub
from trustgraph.text import visible

# --format of the commands that print a table: the rich table, or rows for machines.
TABLE_FORMATS = ("table", "tsv", "csv")
ROWS_HELP = ("tsv or csv: the answer as rows for machines (a header line, one line per row, nothing cut); "
             "table: for people (the default)")

# Piped output keeps long ARNs and paths on one line, however long: no width is imposed on a pipe unless
# COLUMNS sets one (a terminal's own width is always used).
PIPE_WIDTH = 1_000_000


def _width() -> int | None:
    if Console().is_terminal or os.environ.get("COLUMNS", "").isdigit():
        return None
    return PIPE_WIDTH


stdout = StdoutConsole(highlight=False, soft_wrap=False, width=_width())


def emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, sort_keys=False))


def rows_text(columns: Sequence[str], rows: Iterable[Sequence[object]], fmt: str) -> str:
    """Rows for machines, `fmt` tsv or csv: a header line, then one line per row, no cell shortened. Every cell's
    control characters, tab and newline included, are visible escapes (`\\x09`, `\\x0a`), so a row is one line
    and a TSV field never holds its separator; CSV quotes with the csv module and puts a `'` before a cell that
    a spreadsheet would read as a formula, as the Neo4j CSV does."""
    out = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([csv_text(cell) for cell in row] for row in rows)
    else:
        for row in (columns, *rows):
            out.write("\t".join(visible(cell, one_line=True) for cell in row) + "\n")
    return out.getvalue()


def emit_rows(columns: Sequence[str], rows: Iterable[Sequence[object]], fmt: str) -> None:
    click.echo(rows_text(columns, rows, fmt), nl=False)


def split_format(fmt: str | None, as_json: bool, output: str | None) -> tuple[str, str | None]:
    """--format of a command that prints a table and may draw (-o): (the answer's format, the picture's).
    A table format (tsv, csv) is the answer's; any other names the picture's format."""
    if fmt not in TABLE_FORMATS:
        return "table", fmt
    if fmt != "table" and as_json:
        raise click.UsageError(f"--json and --format {fmt} both choose the answer's form; pick one")
    if fmt != "table" and output == "-":
        raise click.UsageError(f"--format {fmt} and -o - both write to standard output; pick one")
    return fmt, None


def short(node: str) -> str:
    """Readable form of a node id: `acct:role/name` for IAM ARNs, else unchanged."""
    if node.startswith("arn:") and ":iam::" in node:
        rest = node.split(":iam::", 1)[1]
        account, resource = rest.split(":", 1)
        return f"{account}:{resource}" if resource != "root" else f"{account} (account)"
    return node


def is_role_assumption(kind: str | None) -> bool:
    """A route step's edge kind is a role assumption (a trust policy's grant), shown as a plain arrow; a step of
    any other kind, or of none, is shown with its kind and technique."""
    return kind in EDGE_SPECS and edge_spec(kind).trust


def path_text(graph: nx.DiGraph, path: list[str], steps: list[dict[str, str | None]] | None = None) -> str:
    """A path by node labels (role and user names), the way a reviewer reads it; with `steps` (route_steps), a
    hop that is not a role assumption shows its kind and technique: `dev ─[passrole lambda:CreateFunction]→ App`."""
    def label(n: str) -> str:
        return str(graph.nodes[n].get("label", short(n))) if n in graph else short(n)

    if not steps:
        return " → ".join(label(n) for n in path)
    # The route's steps may start at a hub (a policy group the principal is a member of): the path names the principal.
    text = label(path[0] if path else steps[0]["from"] or "")
    pending: list[str] = []
    for step in steps:
        to = step["to"] or ""
        if not is_role_assumption(step["kind"]):
            kind, technique = step["kind"] or "", step["technique"] or ""
            # IAM techniques name themselves (iam:…, sts:AssumeRoot, account-takeover), and so do sign-ins
            # (sso:<permission set>); others say their kind.
            named = technique and kind in EDGE_SPECS and edge_spec(kind).via in (Via.IAM, Via.SSO)
            label_ = technique if named else f"{kind} {technique}".strip()
            if label_ not in pending:  # a hub and the hop out of it may name the same technique
                pending.append(label_)
        if to in graph and is_hub(graph, to):
            continue  # hubs are waypoints: their technique is shown on the hop out of them
        text += (f" ─[{', '.join(pending)}]→ " if pending else " → ") + label(to)
        pending = []
    return text


class PictureFile(click.Path):
    """-o of every command that draws: `-` (standard output), or a file whose suffix names a picture format (no
    suffix: svg, or --format). Checked as the command line is read, before any input is: a typo in the name
    must not cost the whole build before it is refused."""

    name = "picture file"

    def __init__(self) -> None:
        super().__init__(dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from trustgraph.render.engine import FORMATS

        path = super().convert(value, param, ctx)
        suffix = Path(str(path)).suffix.lstrip(".").lower() if str(path) != "-" else ""
        if suffix and suffix not in (*FORMATS, "htm"):
            self.fail(f"{str(path)!r} ends in .{suffix}: a picture is written to a file ending in "
                      + ", ".join(f".{f}" for f in FORMATS) + " (or - for standard output)", param, ctx)
        return path


def write_picture(picture: Any, output: str, fmt: str | None) -> str | None:
    """Write a picture to the file `output`, or to standard output for `-o -` (text formats only).
    Returns the path written, None for standard output."""
    from trustgraph.render.engine import TEXT_FORMATS, output_format, picture_bytes, render
    from trustgraph.render.matrix_pages import MatrixPages, pages_folder

    if isinstance(picture, MatrixPages):  # a split matrix: the index, its pages in a directory beside it
        folder, suffix = pages_folder(output)
        for page in picture.pages:
            render(page.scene, Path(output).parent / folder / f"{page.name}.{suffix}", fmt)
        return str(render(picture.index, output, fmt))
    if output != "-":
        return str(render(picture, output, fmt))
    fmt = output_format(output, fmt)
    if fmt not in TEXT_FORMATS:
        raise click.UsageError(f"{fmt} is binary: write it to a file (-o FILE.{fmt}); -o - takes "
                               + ", ".join(TEXT_FORMATS))
    click.echo(picture_bytes(picture, fmt).decode("utf-8"), nl=False)
    return None


def _sarif_category(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (not value.strip("/ ") or any(not c.isprintable() for c in value)):
        raise click.BadParameter(f"{value!r} is not a category name (printable text, not only slashes)")
    return value


# --sarif-category: the run's `automationDetails.id` (report/sarif.py says why there is none by default).
sarif_category_option = click.option(
    "--sarif-category", metavar="NAME", callback=_sarif_category,
    help="With --format sarif: name the run's code-scanning category in the file (automationDetails.id "
         "NAME/). Default: none, so the category the upload gives applies (upload-sarif's `category`).")
