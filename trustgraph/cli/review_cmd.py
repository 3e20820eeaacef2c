"""`trustgraph review`: a self-contained architecture-review bundle (Markdown + HTML + pictures + findings)."""

from __future__ import annotations

from pathlib import Path

import click

from trustgraph.analysis.findings import FindingOptions
from trustgraph.analysis.guardrails import check
from trustgraph.cli.app import examples, main
from trustgraph.cli.findings_cmd import analyse_loaded, sensitivity_options
from trustgraph.cli.gate_files import load_guardrails
from trustgraph.cli.inputs import InputSpec, input_options, recorded_inputs, stderr
from trustgraph.cli.pictures import no_marks_option
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.report.bundle import check_output_dir, write_bundle


@main.command("review", epilog=examples(
    "trustgraph review -i samples/acme -o acme-review/",
    "trustgraph review --graph acme.tgdb -o acme-review/ --no-diagrams",
    "trustgraph review -i samples/acme -o acme-review/ --rules samples/guardrails/acme.yaml",
))
@input_options
@click.option("--output", "-o", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the main page (report.md, report.html), the pages it links to "
                   "(accounts.md, outside-trust.md, sensitive-roles.md, roles/*/*.md, findings/*.md), trust-map.svg, "
                   "paths/*.svg, findings.json, findings.sarif (docs/review.md).")
@click.option("--title", help="Report title (default: from the organization or account count).")
@click.option("--no-diagrams", is_flag=True, help="Skip drawing (faster on very large data sets).")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False),
              help="Guardrails to check (docs/guardrails.md): a Guardrails section in the report, guardrails.json "
                   "and guardrails.sarif.")
@click.option("--force", is_flag=True, help="Write into DIR even if it is the current directory, holds files "
              "trustgraph did not write, or has symbolic links where the review writes (replaced, not followed).")
@sensitivity_options
@no_marks_option
def review_command(spec: InputSpec, output_dir: str, title: str | None, no_diagrams: bool,
                   sensitive: tuple[str, ...], many_reachers: int, chain_hops: int, force: bool,
                   rules_file: str | None, no_marks: bool) -> None:
    """Write an architecture-review bundle: a main page of a few pages whatever the size of the organization (what
    to fix first, the accounts by OU, the trust map and OU matrix, the trust that crosses the organization
    boundary, the sensitive roles by OU, the findings by rule), and linked pages with every account, outside
    grant, sensitive role (its reachers and a path diagram) and finding; with --rules, the guardrails checked.
    report.html is one file with no external assets."""
    check_output_dir(Path(output_dir), force)  # before the analysis: a refusal should not wait for it
    rules = load_guardrails(rules_file) if rules_file else None  # so is a mistake in the rules
    snapshot, graph, findings, context, incomplete = analyse_loaded(spec, sensitive, many_reachers, chain_hops)
    guardrails = None
    if rules is not None:
        with phase("check guardrails", quiet=spec.quiet):
            guardrails = check(graph, rules, sensitive=set(context.sensitive),
                               sources={arn: role.source for arn, role in snapshot.roles.items() if role.source})
    options = FindingOptions(sensitive_patterns=tuple(sensitive), many_reachers=many_reachers,
                             long_chain_hops=chain_hops)
    with phase("write review", quiet=spec.quiet):
        result = write_bundle(output_dir, snapshot, graph, findings, options, inputs=recorded_inputs(spec),
                              title=title, diagrams=not no_diagrams, force=force,
                              context=context, guardrails=guardrails, marks=not no_marks,
                              unread=incomplete.partial)
    for warning in result.warnings:
        stderr.print(f"warning: {safe(warning)}")
    if snapshot.gaps and not spec.quiet:
        stderr.print(f"warning: the data is incomplete ({len(snapshot.gaps)} gap(s), listed in the report): "
                     + safe("; ".join(snapshot.gaps[:3])) + ("…" if len(snapshot.gaps) > 3 else ""))
    if not spec.quiet:
        stderr.print(f"wrote {safe(result.directory)}/report.html and report.md ({len(findings)} finding(s), "
                     f"{len(result.files)} file(s))")
