"""`trustgraph findings`: what is wrong, how bad, where, and how to fix it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trustgraph.analysis.diff import incompleteness
from trustgraph.analysis.findings import (
    RULES,
    SEVERITY_NAMES,
    Finding,
    FindingContext,
    FindingOptions,
    Severity,
    at_or_above,
    find,
)
from trustgraph.analysis.findings.gate import Triage
from trustgraph.analysis.findings.groups import FindingGroup, group_findings
from trustgraph.atomic import replacing, write_text
from trustgraph.cli.app import examples, main
from trustgraph.cli.gate import (
    finish,
    gate_options,
    incomplete_reason,
    load_triage,
    severity_failure,
    severity_value,
)
from trustgraph.cli.inputs import InputSpec, input_options, obtain, recorded_inputs
from trustgraph.cli.output import rows_text, sarif_category_option, short, stdout
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe, visible
from trustgraph.model import Snapshot
from trustgraph.report.findings_doc import findings_document
from trustgraph.report.markdown import findings_markdown
from trustgraph.report.sarif import to_sarif

FORMATS = ("table", "json", "sarif", "markdown", "tsv", "csv")
# --format tsv|csv: one row per finding.
ROW_COLUMNS = ("severity", "rule", "role", "principal", "title", "message", "mitigated_by", "triage", "remediation",
               "fingerprint")
SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan",
                  "info": "dim"}

def sensitivity_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--sensitive", "sensitive", multiple=True, metavar="ARN-GLOB",
                        help="Also treat roles matching this ARN glob (or role-name glob) as sensitive "
                             "(repeatable). Admin-equivalent roles and roles tagged "
                             "trustgraph:sensitive=true are sensitive anyway.")(func)
    func = click.option("--many-reachers", type=click.IntRange(min=1), default=10, show_default=True,
                        help="Flag a sensitive role reachable by at least this many principals.")(func)
    func = click.option("--chain-hops", type=click.IntRange(min=2), default=3, show_default=True,
                        help="Flag a sensitive role reachable through chains of at least this many hops.")(func)
    return func


def analyse(spec: InputSpec, sensitive: tuple[str, ...], many_reachers: int, chain_hops: int):  # type: ignore[no-untyped-def]
    """Load, build, annotate and run every rule: (snapshot, graph, findings, the context they were found in)."""
    snapshot, graph, findings, context, _ = analyse_loaded(spec, sensitive, many_reachers, chain_hops)
    return snapshot, graph, findings, context


def analyse_loaded(spec: InputSpec, sensitive: tuple[str, ...], many_reachers: int, chain_hops: int):  # type: ignore[no-untyped-def]
    """`analyse`, and what the data is known to lack (`Incomplete`: the inputs that could not be read, gaps)."""
    loaded = obtain(spec, snapshot=True, require_snapshot=True)
    snapshot, graph = loaded.snapshot, loaded.graph
    assert snapshot is not None
    incomplete = incompleteness(snapshot, loaded.report.files_rejected if loaded.report is not None else None)
    options = FindingOptions(sensitive_patterns=tuple(sensitive), many_reachers=many_reachers,
                             long_chain_hops=chain_hops)
    context = FindingContext(snapshot, graph, options)
    with phase("check rules", total=len(snapshot.roles), quiet=spec.quiet, unit="roles") as tick:
        return snapshot, graph, find(snapshot, graph, options, progress=tick, context=context), context, incomplete


def _incomplete(snapshot: Snapshot, console: Console) -> None:
    if snapshot.gaps:
        console.print(Text(f"Incomplete data ({len(snapshot.gaps)}): what is missing may hide findings", style="bold"))
        for gap in snapshot.gaps:
            console.print(f"  - {gap}")


def _gate_text(g: FindingGroup, split: Triage | None) -> Text | None:
    """What a gate did with a pattern's findings: the one finding's suppression or baseline, else counts."""
    if split is None:
        return None
    if g.count == 1:
        suppression = split.suppression(g.worst)
        if suppression is not None:
            return Text(f"\nsuppressed ({visible(suppression.entry)}): " + visible(suppression.reason), style="green")
        return Text("\nin the baseline", style="dim") if split.in_baseline(g.worst) else None
    notes = g.set_aside(split)
    return Text("\n" + notes, style="green") if notes else None


def _table(findings: list[Finding], snapshot: Snapshot, console: Console, split: Triage | None = None) -> None:
    """One row per pattern (analysis/findings/groups.py): its worst finding, and where it fires."""
    roles = len(snapshot.roles)
    if not findings:
        console.print(f"No findings in {roles} role(s)" + (" of incomplete data." if snapshot.gaps else "."))
        _incomplete(snapshot, console)
        return
    groups = group_findings(findings, snapshot.organization)
    for severity in sorted(Severity, key=lambda s: -s.rank):
        chosen = [g for g in groups if g.severity is severity]
        if not chosen:
            continue
        count = sum(g.count for g in chosen)
        title = Text(f" {severity.value.upper()} ({count}" + (f", {len(chosen)} patterns" if len(chosen) != count
                                                              else "") + ") ", style=SEVERITY_STYLE[severity.value])
        table = Table(title=title, title_justify="left", show_lines=True, expand=False)
        table.add_column("rule", no_wrap=True)
        table.add_column("role", overflow="fold", max_width=48)
        table.add_column("principal", overflow="fold", max_width=40)
        table.add_column("what is wrong", overflow="fold", ratio=3)
        table.add_column("fix", overflow="fold", ratio=2)
        for g in chosen:
            f = g.worst
            what = Text(RULES[f.rule].title, style="bold")
            what.append("\n" + visible(f.message), style="")
            if f.mitigated_by:
                what.append("\nmitigated: " + visible("; ".join(f.mitigated_by)), style="green")
            gate = _gate_text(g, split)
            if gate is not None:
                what.append(gate)
            role = Text(visible(short(f.role)))
            if g.count > 1:
                role.append("\n" + visible(g.where()), style="bold")
            table.add_row(safe(f.rule), role, safe(short(f.principal)) if f.principal else "—", what,
                          Text(visible(f.remediation)))
        console.print(table)
        console.print()
    counts = ", ".join(f"{n} {s}" for s in SEVERITY_NAMES
                       if (n := sum(1 for f in findings if f.severity.value == s)))
    gated = ""
    if split is not None:
        shown = {id(f) for f in findings}
        gated = (f" Of these, {sum(1 for f, _ in split.suppressed if id(f) in shown)} suppressed and "
                 f"{sum(1 for f in split.baselined if id(f) in shown)} in the baseline.")
    patterns = f" in {len(groups)} pattern(s), each shown once for its worst finding" if len(groups) < len(findings) \
        else ""
    console.print(f"{len(findings)} finding(s){patterns} in {roles} role(s): {counts}.{gated} "
                  "Use --format json for the evidence and corrected trust statements.")
    _incomplete(snapshot, console)


def _triage_text(f: Finding, split: Triage | None) -> str:
    suppression = split.suppression(f) if split is not None else None
    if suppression is not None:
        return f"suppressed ({suppression.entry}): {suppression.reason}"
    return "in the baseline" if split is not None and split.in_baseline(f) else ""


def _rows(findings: list[Finding], split: Triage | None) -> list[tuple[str, ...]]:
    return [(f.severity.value, f.rule, f.role, f.principal or "", RULES[f.rule].title, f.message,
             "; ".join(f.mitigated_by), _triage_text(f, split), f.remediation, f.fingerprint) for f in findings]


@main.command("findings", epilog=examples(
    "trustgraph findings -i samples/acme",
    "trustgraph findings -i samples/acme --format sarif -o trustgraph.sarif --fail-on high",
    "trustgraph findings -i samples/acme --format csv > findings.csv",
))
@input_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table (grouped by severity), json (the findings contract), sarif (2.1.0, for GitHub "
                   "code scanning), markdown; tsv or csv: one row per finding for machines (a header line, "
                   "nothing cut).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--fail-on", callback=severity_value, metavar="SEVERITY",
              help=f"Exit 1 when any finding is at or above this severity ({'|'.join(SEVERITY_NAMES)}).")
@click.option("--min-severity", callback=severity_value, metavar="SEVERITY",
              help="Only report findings at or above this severity.")
@click.option("--rule", "rules", multiple=True, metavar="ID", help="Only these rules (repeatable), e.g. TG201.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@sarif_category_option
@gate_options
@sensitivity_options
def findings_command(spec: InputSpec, fmt: str, as_json: bool, fail_on: Severity | None, min_severity: Severity | None,
                     rules: tuple[str, ...], output: str | None, sarif_category: str | None, baseline_file: str | None,
                     suppressions_file: str | None, allow_incomplete: bool, sensitive: tuple[str, ...],
                     many_reachers: int, chain_hops: int) -> None:
    """Report weaknesses of the role trusts: rule id, severity, role, principal, why, and the fix.

    Rules cover public trust, federated trust open to the world (GitHub, GitLab, HCP Terraform, EKS,
    Cognito, OIDC, SAML), third parties without ExternalId, unknown outside accounts, deleted principals,
    confused-deputy service trusts, sensitive roles reachable from outside, by many principals or
    through long chains, and privilege escalation into sensitive roles and accounts through PassRole, code
    already running as a role, IAM writes and sts:AssumeRoot. Exit code 1 when --fail-on trips; with
    --baseline only findings not in the baseline count, with --suppressions accepted findings are reported
    as suppressed and not counted. With --fail-on, an input that could not be read or a collection marked
    partial ends the run with exit 2 once the output is written, unless --allow-incomplete.
    """
    if as_json:
        fmt = "json"
    unknown = [r for r in rules if r.upper() not in RULES]
    if unknown:
        raise click.BadParameter(f"unknown rule id(s): {', '.join(unknown)}", param_hint="--rule")
    snapshot, graph, findings, context, incomplete = analyse_loaded(spec, sensitive, many_reachers, chain_hops)
    if rules:
        wanted = {r.upper() for r in rules}
        findings = [f for f in findings if f.rule in wanted]
    split = load_triage(findings, baseline_file, suppressions_file)
    shown = at_or_above(findings, min_severity) if min_severity else findings
    if fmt == "table":
        if output:
            with replacing(output) as tmp, open(tmp, "w", encoding="utf-8") as fh:
                _table(shown, snapshot, Console(file=fh, width=160, highlight=False, color_system=None), split)
        else:
            _table(shown, snapshot, stdout, split)
    else:
        if fmt == "json":
            from trustgraph.analysis.chokepoints import fix_cuts

            with phase("count what each fix cuts", quiet=spec.quiet):
                cuts = fix_cuts(graph, shown, context.sensitive)
            text = json.dumps(findings_document(shown, inputs=recorded_inputs(spec), incomplete=snapshot.gaps,
                                                data_time=graph.graph.get("data_time"), triage=split,
                                                organization=snapshot.organization, cuts=cuts), indent=2)
        elif fmt == "sarif":
            text = json.dumps(to_sarif(shown, incomplete=snapshot.gaps, triage=split,
                                       baseline=bool(baseline_file), unread=incomplete.partial,
                                       origins=snapshot.iac_origins, category=sarif_category), indent=2)
        elif fmt in ("tsv", "csv"):
            text = rows_text(ROW_COLUMNS, _rows(shown, split), fmt).removesuffix("\n")
        else:
            text = findings_markdown(shown, title="trustgraph findings", level=1, triage=split,
                                     organization=snapshot.organization)
        if output:
            write_text(output, text + "\n")
        else:
            click.echo(text)
    failures = severity_failure(fail_on, findings, split, "finding(s)") if fail_on is not None else []
    finish(failures, split, gating=fail_on is not None,
           incomplete=incomplete_reason((("", incomplete),), allow_incomplete) if fail_on is not None else None)
