"""`trustgraph map`: draw the trust map at the right level (principals, accounts, OUs, a matrix, a focus, one
account), optionally only the trust that crosses a boundary (`--only`)."""

from __future__ import annotations

import dataclasses
import time

import click
import networkx as nx

from trustgraph.analysis.guardrails import check, uses_sensitive
from trustgraph.analysis.reachability import resolve_node
from trustgraph.cli.app import examples, main
from trustgraph.cli.gate_files import load_guardrails
from trustgraph.cli.inputs import InputSpec, input_options, stderr
from trustgraph.cli.output import PictureFile, write_picture
from trustgraph.cli.pictures import load_picture, no_marks_option, require_usage, usage_option
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.render.accounts import accounts_in_data
from trustgraph.render.boundary import ONLY, describe_only, only_filter, parse_only
from trustgraph.render.engine import FORMATS, output_format
from trustgraph.render.marks import NO_MARKS
from trustgraph.render.matrix_pages import MatrixPages, pages_folder
from trustgraph.render.ous import UnknownOU
from trustgraph.render.overview import AUTO_SUMMARY, VIEW_ROWS, ViewOptionError, ViewOptions, pick_view
from trustgraph.render.overview import VIEWS as VIEW_TABLE
from trustgraph.render.overview import has_ous as overview_has_ous
from trustgraph.render.scene import Scene
from trustgraph.render.usage import window_text

VIEWS = ("auto", *VIEW_TABLE)
LAYOUTS = ("auto", "dot", "radial", "sfdp", "neato", "fdp")


def _resolve_account(graph: nx.DiGraph, value: str) -> str:
    """An account id, given as the id or as the account's name."""
    known = accounts_in_data(graph) | {str(d["account"]) for _, d in graph.nodes(data=True) if d.get("account")}
    if value in known:
        return value
    by_name = sorted(a for a, n in graph.graph.get("account_names", {}).items() if n == value)
    if len(by_name) == 1:
        return by_name[0]
    raise click.BadParameter(f"no account {value!r} in the data (give a 12-digit id or an account name)",
                             param_hint="--account")


@main.command("map", epilog=examples(
    "trustgraph map -i samples/acme -o acme.svg",
    "trustgraph map -i samples/acme --view accounts --only outside -o outside.html",
    "trustgraph map -i samples/acme --focus arn:aws:iam::444444444444:role/BreakGlass -o breakglass.svg",
))
@input_options
@click.option("--output", "-o", required=True, type=PictureFile(),
              help="Picture file to write (.svg, .png, .pdf, .dot, .json or .html); `-` writes a text format "
                   "(svg by default) to standard output.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Picture format (default: from -o suffix). html: one self-contained interactive page.")
@click.option("--view", type=click.Choice(VIEWS), default="auto", show_default=True,
              help="; ".join(f"{row.name}: {row.summary}" for row in VIEW_ROWS) + f". auto: {AUTO_SUMMARY}.")
@click.option("--by", type=click.Choice(("accounts", "ous")), default="accounts", show_default=True,
              help="Matrix view: accounts or OUs on the axes.")
@click.option("--ou", "ou", metavar="OU_ID|NAME",
              help="OU view: drill into this OU (its accounts one by one, its child OUs, everything else folded).")
@click.option("--only", "only", multiple=True, metavar="|".join(ONLY),
              help="Keep only trust from outside the organization (cross-org), from outside including identity "
                   "providers (outside), across OUs (cross-ou), to sensitive roles (sensitive), without "
                   "conditions (unconditional), used in the CloudTrail events' window (used) or not used in a "
                   "window they cover (unused; unknown use passes neither). Repeatable or comma-separated: values "
                   "of one kind are alternatives, kinds combine (outside,sensitive = from outside to sensitive roles).")
@click.option("--sensitive", "sensitive", multiple=True, metavar="ARN-GLOB",
              help="Also mark roles matching this ARN glob (or role-name glob) as sensitive (repeatable), as "
                   "`findings --sensitive` does.")
@click.option("--focus", help="Only this role and what reaches it (principals view).")
@click.option("--depth", type=click.IntRange(min=1), help="With --focus: at most N hops upstream.")
@click.option("--account", "account_id", metavar="ID",
              help="Only this account (id or name) and what touches it.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=400, show_default=True,
              help="Refuse to draw a principals view larger than this (after folding alike principals).")
@click.option("--service-linked", is_flag=True,
              help="Also draw service-linked roles that lead nowhere (hidden by default).")
@click.option("--services", is_flag=True,
              help="Account and OU views: draw AWS services as a node (by default their trust is counted inside).")
@click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
              help="auto: dot; account maps above 120 nodes: radial (hub accounts in the middle, one sector "
                   "per OU); --view accounts above 40 accounts: the matrix (a layout named here, or -o .html or "
                   ".dot, draws the graph). sfdp, neato, fdp: Graphviz's force-directed engines.")
@usage_option
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Matrix view: paint the guardrails of FILE (docs/guardrails.md): the cells a deny or allow_only "
                   "rule forbids tinted, the cells holding violations in orange with their count.")
@no_marks_option
def map_command(spec: InputSpec, output: str, fmt: str | None, view: str, by: str, ou: str | None,
                only: tuple[str, ...], sensitive: tuple[str, ...], focus: str | None, depth: int | None,
                account_id: str | None, max_nodes: int, service_linked: bool, services: bool, layout: str,
                rules_file: str | None, no_marks: bool, usage: bool = False) -> None:
    """Draw the trust map.

    The account view folds principals into accounts, the OU view accounts into OUs: one edge per source →
    target with the callers by kind, and markers for conditional and `*` trust. The matrix puts accounts or
    OUs on both axes. The principals view draws clusters per account, shapes per principal kind, dashed =
    conditional. Sensitive roles (⚠) and roles with findings (⚑) are marked. Every picture has a legend.
    """
    try:
        chosen_only = parse_only(only)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--only") from None
    if depth and not focus:
        raise click.UsageError("--depth needs --focus")
    if focus and view in ("accounts", "ous", "matrix"):
        raise click.UsageError(f"--focus draws principals; use it without --view {view}")
    if focus and account_id:
        raise click.UsageError("use either --focus or --account, not both")
    if ou and view not in ("auto", "ous"):
        raise click.UsageError("--ou drills into the OU view; use it with --view ous (or auto)")
    if account_id and view in ("ous", "matrix"):
        raise click.UsageError(f"--account is for the principals and accounts views, not --view {view}")
    if layout == "radial" and view in ("principals", "matrix"):
        raise click.UsageError("--layout radial is for the account and OU views")
    if layout != "auto" and view == "matrix":
        raise click.UsageError("the matrix is drawn without a layout engine: drop --layout")
    if by != "accounts" and view not in ("matrix", "auto"):
        raise click.UsageError("--by is for the matrix view")
    if rules_file and view != "matrix":
        raise click.UsageError("--rules paints the matrix: use it with --view matrix")
    rules = load_guardrails(rules_file) if rules_file else None  # before any data is read

    # The people view reads the whole snapshot (Identity Center, policies); the others only the organization.
    # --only sensitive reads the sensitive roles of the marks, drawn or not.
    # `sensitive: true` selectors of the rules read the sensitive roles of the marks, drawn or not.
    needs_sensitive = "sensitive" in chosen_only or (rules is not None and uses_sensitive(rules))
    graph, snapshot, marks = load_picture(spec, snapshot=True if view == "people" else ("organization",),
                                          patterns=sensitive, marks=not no_marks or needs_sensitive)
    results = None
    if rules is not None:
        with phase("check guardrails", quiet=spec.quiet):
            results = check(graph, rules, sensitive=set(marks.sensitive))
    organization = snapshot.organization if snapshot is not None else None
    by_use = [v for v in chosen_only if ONLY[v] == "use"]
    if usage:
        require_usage(graph)
    if by_use:
        require_usage(graph, "--only")
    started = time.perf_counter()
    note = ""
    if chosen_only:
        result = only_filter(graph, chosen_only, sensitive=marks.sensitive, organization=organization)
        for text in result.notes:
            stderr.print(f"note: {safe(text)}")
        note = describe_only(chosen_only) + (f", {window_text(graph)}" if by_use else "")
        if not result.kept:
            stderr.print(f"nothing to draw: no trust passes --only {','.join(chosen_only)}; no picture written")
            return
        if not spec.quiet:
            stderr.print(f"--only {','.join(chosen_only)}: {result.kept} of {result.kept + result.dropped} edges kept")
        drawn = result.graph
    else:
        drawn = graph
    if no_marks:
        marks = NO_MARKS
    opts = ViewOptions(organization=organization, marks=marks, max_nodes=max_nodes,
                       has_ous=overview_has_ous(graph, organization), focus=focus, depth=depth, account=account_id,
                       ou=ou, by=by, engine=None if layout == "auto" else layout, services=services or None,
                       service_linked=service_linked, note=note, partial=bool(chosen_only), snapshot=snapshot,
                       output_format=output_format(output, fmt), output_file=output, guardrails=results)
    row = VIEW_TABLE[view] if view != "auto" else pick_view(graph, opts)
    view = row.name
    if usage and view != "principals":
        raise click.UsageError(f"--usage draws the principals view's edges by use, not the {view} view: add --view "
                               "principals, --focus ROLE or --account ID")
    if (usage or by_use) and view == "principals":
        # --only used|unused draws the principals it keeps by use too; the view's title then says the window
        opts = dataclasses.replace(opts, usage=True, note=describe_only(chosen_only))
    account = _resolve_account(graph, account_id) if account_id else None
    opts = dataclasses.replace(opts, account=account, focus=resolve_node(drawn, focus) if focus else None)
    picture: object
    try:
        picture = row.draw(drawn, opts)
    except ViewOptionError as exc:
        raise click.UsageError(str(exc)) from None
    except UnknownOU as exc:
        raise click.BadParameter(str(exc), param_hint="--ou") from None
    with phase("render", quiet=spec.quiet):
        written = write_picture(picture, output, fmt)
    if not spec.quiet:
        # A picture without a Graphviz engine (the matrix an account view becomes above its size) is drawn directly.
        layout_used = row.layout or getattr(picture, "layout", "") or getattr(picture, "engine", "") or "direct"
        as_matrix = isinstance(picture, (Scene, MatrixPages))
        shown = f"{view} view" + (" as its matrix" if view != "matrix" and as_matrix else "")
        if isinstance(picture, MatrixPages):
            folder = pages_folder(output)[0]
            shown += f", split: the index and {len(picture.pages)} pages, one per OU, in {safe(folder)}/"
        elapsed = time.perf_counter() - started
        stderr.print(f"wrote {safe(written or 'standard output')} ({shown}, {layout_used} layout, {elapsed:.1f}s)")
