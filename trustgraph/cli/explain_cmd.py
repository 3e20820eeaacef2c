"""`trustgraph explain POLICY_FILE`."""

from __future__ import annotations

import dataclasses

import click

from trustgraph.analysis.explain import explain_role
from trustgraph.cli.app import examples, main
from trustgraph.cli.inputs import load_snapshot
from trustgraph.cli.output import emit_json, stdout
from trustgraph.cli.terminal import safe
from trustgraph.version import SCHEMAS


@main.command("explain", epilog=examples(
    "trustgraph explain samples/seed/cross-account-role.trust.json",
    "trustgraph explain samples/acme/444444444444-acme-prod.json --role-arn"
    " arn:aws:iam::444444444444:role/BreakGlass --json",
))
@click.argument("policy_file", type=click.Path(exists=True))
@click.option("--role-arn", help="The role the trust policy belongs to (bare policy files), or which role of an "
              "export to explain.")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="Only errors on stderr.")
def explain_command(policy_file: str, role_arn: str | None, as_json: bool, quiet: bool) -> None:
    """Explain a trust policy statement by statement: who can assume the role and what else each needs."""
    snapshot, _ = load_snapshot((policy_file,), role_arn, quiet=True if as_json else quiet)
    roles = [snapshot.roles[role_arn]] if role_arn and role_arn in snapshot.roles else \
        sorted(snapshot.roles.values(), key=lambda r: r.arn)
    explanations = [explain_role(r) for r in roles]
    if as_json:
        emit_json({"schema": SCHEMAS["explain"], "roles": [dataclasses.asdict(e) for e in explanations]})
        return
    for e in explanations:
        stdout.print(f"[bold]{safe(e.role)}[/]")
        for st in e.statements:
            stdout.print(f"  Statement {safe(st.statement)}: [bold]{safe(st.effect)}[/] {safe(', '.join(st.actions))}")
            for p in st.principals:
                stdout.print(f"    • {safe(p.principal)}: {safe(p.meaning)}")
                for need in p.needs:
                    stdout.print(f"        needs: {safe(need)}")
            for c in st.conditions:
                stdout.print(f"    only if {safe(c)}")
            for w in st.warnings:
                stdout.print(f"    [yellow]⚠ {safe(w)}[/]")
        for w in e.warnings:
            stdout.print(f"  [yellow]⚠ {safe(w)}[/]")
        stdout.print()
