"""`trustgraph map`: draw the trust map at the right level (accounts, principals, a focus, one account)."""

from __future__ import annotations

import time

import click
import networkx as nx

from trustgraph.analysis.reachability import resolve_node
from trustgraph.cli.app import main
from trustgraph.cli.inputs import InputSpec, input_options, obtain_graph_and_organization, stderr
from trustgraph.model import Organization
from trustgraph.render.accounts import accounts_in_data
from trustgraph.render.engine import FORMATS, render
from trustgraph.render.views import account_view, auto_view, principals_view

VIEWS = ("auto", "accounts", "principals")
LAYOUTS = ("auto", "dot", "radial", "sfdp", "neato", "fdp")


def _load(spec: InputSpec) -> tuple[nx.DiGraph, Organization | None]:
    """The graph, and the organization of the snapshot (for OU names)."""
    return obtain_graph_and_organization(spec)


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


@main.command("map")
@input_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Picture file to write (.svg, .png, .pdf, .dot or .html).")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Picture format (default: from -o suffix). html: one self-contained interactive page.")
@click.option("--view", type=click.Choice(VIEWS), default="auto", show_default=True,
              help="accounts: one node per account; principals: every user and role. auto: accounts when the "
                   "data has more than 15 accounts or more principals than --max-nodes.")
@click.option("--focus", help="Only this role and what reaches it (principals view).")
@click.option("--depth", type=click.IntRange(min=1), help="With --focus: at most N hops upstream.")
@click.option("--account", "account_id", metavar="ID",
              help="Only this account (id or name) and what touches it.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=400, show_default=True,
              help="Refuse to draw a principals view larger than this.")
@click.option("--service-linked", is_flag=True,
              help="Also draw service-linked roles that lead nowhere (hidden by default).")
@click.option("--services", is_flag=True,
              help="Account view: draw AWS services as a node (by default their trust is counted in each account).")
@click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
              help="auto: dot; account maps above 120 nodes: radial (hub accounts in the middle, one sector "
                   "per OU). sfdp, neato, fdp: Graphviz's force-directed engines.")
def map_command(spec: InputSpec, output: str, fmt: str | None, view: str, focus: str | None, depth: int | None,
                account_id: str | None, max_nodes: int, service_linked: bool, services: bool, layout: str) -> None:
    """Draw the trust map.

    The account view folds principals into accounts: one edge per source → target account with the
    callers by kind, and markers for conditional and `*` trust. The principals view draws clusters per
    account, shapes per principal kind, dashed = conditional. Every picture has a legend.
    """
    if depth and not focus:
        raise click.UsageError("--depth needs --focus")
    if focus and view == "accounts":
        raise click.UsageError("--focus draws principals; use it without --view accounts")
    if focus and account_id:
        raise click.UsageError("use either --focus or --account, not both")
    if layout == "radial" and view == "principals":
        raise click.UsageError("--layout radial is for the account view")
    graph, organization = _load(spec)
    started = time.perf_counter()
    if view == "auto":
        view = "principals" if focus or account_id else auto_view(graph, max_nodes)
    engine = None if layout == "auto" else layout
    account = _resolve_account(graph, account_id) if account_id else None
    if view == "accounts":
        dot = account_view(graph, organization=organization, account=account, engine=engine,
                           services=services or None)
    else:
        focus_node = resolve_node(graph, focus) if focus else None
        if engine == "radial":
            raise click.UsageError("--layout radial is for the account view")
        dot = principals_view(graph, focus=focus_node, depth=depth, account=account, max_nodes=max_nodes,
                              service_linked=service_linked, engine=engine or "dot")
    written = render(dot, output, fmt)
    if not spec.quiet:
        layout_used = getattr(dot, "layout", "") or dot.engine
        stderr.print(f"wrote {written} ({view} view, {layout_used} layout, {time.perf_counter() - started:.1f}s)")
