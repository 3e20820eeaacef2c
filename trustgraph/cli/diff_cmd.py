"""`trustgraph diff`: what a change does to trust, for review and CI gates."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from trustgraph.analysis.diff import RESOLVED, GraphDiff, Incomplete, Side, diff_sides, side_from_snapshot
from trustgraph.analysis.findings import RULES, Finding, FindingOptions, Severity, at_or_above
from trustgraph.analysis.findings.gate import Triage
from trustgraph.cli.app import examples, main
from trustgraph.cli.findings_cmd import SEVERITY_STYLE, sensitivity_options
from trustgraph.cli.gate import (
    finish,
    gate_options,
    incomplete_reason,
    load_triage,
    severity_failure,
    severity_value,
)
from trustgraph.cli.inputs import InputSpec, iac_options, obtain, reading_options, recorded_inputs
from trustgraph.cli.output import PictureFile, short, stdout, write_picture
from trustgraph.cli.pictures import no_marks_option
from trustgraph.cli.progress import phase
from trustgraph.cli.terminal import safe
from trustgraph.report.diff_doc import diff_document
from trustgraph.report.diff_markdown import (
    REACHER_CHANGE_LABELS,
    USAGE_CHANGE_LABELS,
    USAGE_CHANGE_NOTES,
    diff_markdown,
    facts_text,
    summary_line,
    usage_groups,
)
from trustgraph.saved.store import SQLITE_MAGIC
from trustgraph.sources.iac import IacOptions

FORMATS = ("table", "json", "markdown")
ROWS = 25  # rows per terminal table; --format json has them all


def _is_saved_graph(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def side_spec(name: str, paths: tuple[str, ...], role_arn: str | None, known_accounts: str | None,
              accounts_file: str | None, quiet: bool, no_cache: bool, iac: IacOptions | None = None) -> InputSpec:
    """One side's inputs: one saved graph (`trustgraph build -o`), any files and directories (Terraform plans
    and CloudFormation templates read with `iac`), or one saved graph with files read over it (a plan)."""
    iac = iac or IacOptions()
    if not paths:
        raise click.UsageError(f"give the {name} side: trustgraph diff OLD NEW, or --{name} PATH (repeatable)")
    graphs = [p for p in paths if Path(p).is_file() and _is_saved_graph(p)]
    if len(graphs) > 1:
        raise click.UsageError(f"the {name} side has two saved graphs ({graphs[0]}, {graphs[1]}); give one, or "
                               "the inputs they were built from")
    if graphs and len(paths) == 1:
        return InputSpec((), graphs[0], role_arn, known_accounts, accounts_file, quiet, no_cache, iac)
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise click.BadParameter(f"{missing[0]} does not exist", param_hint=f"the {name} side")
    others = tuple(p for p in paths if p not in graphs)
    return InputSpec(others, None, role_arn, known_accounts, accounts_file, quiet, no_cache, iac,
                     over_graph=graphs[0] if graphs else None)


def plan_specs(plan: str, context: tuple[str, ...], **common: Any) -> tuple[InputSpec, InputSpec]:
    """`--plan`: the old side is the state the plan starts from, the new side the state it leaves, each read over
    the same other inputs (a live snapshot), so that only the plan's own change shows."""
    if _is_saved_graph(plan):
        raise click.BadParameter(f"{plan} is a saved graph, not a Terraform plan", param_hint="--plan")
    iac: IacOptions = common.pop("iac")
    # A state of a plan may hold no role or user (before a plan that creates them): that side is empty, not bad input.
    return (replace(side_spec("old", context + (plan,), iac=replace(iac, plan_side="before"), **common),
                    empty_ok=True),
            replace(side_spec("new", context + (plan,), iac=replace(iac, plan_side="after"), **common),
                    empty_ok=True))


def load_side(spec: InputSpec, options: FindingOptions, name: str) -> Side:
    loaded = obtain(spec, snapshot=True, require_snapshot=True)
    assert loaded.snapshot is not None
    rejected = loaded.report.files_rejected if loaded.report is not None else None
    with phase(f"check rules ({name})", quiet=spec.quiet):
        return side_from_snapshot(loaded.snapshot, loaded.graph, options, files_rejected=rejected)


def _trust_table(diff: GraphDiff, console: Console) -> None:
    table = Table(title=Text(" Trust changes ", style="bold"), title_justify="left", expand=False)
    for column in ("change", "role", "caller", "before", "after"):
        table.add_column(column, overflow="fold")
    style = {"added": "green", "changed": "yellow", "removed": "red"}
    for t in diff.trust[:ROWS]:
        via = f" via {t.via}" if t.via else ""
        caller = safe(short(t.callers[0])) if len(t.callers) == 1 and not t.via else \
            safe(f"{len(t.callers)} principal{'s' if len(t.callers) != 1 else ''}{via} ({short(t.callers[0])}" +
                 (f" and {len(t.callers) - 1} more)" if len(t.callers) > 1 else ")"))
        table.add_row(Text(t.change, style=style[t.change]), safe(short(t.role)), caller, safe(facts_text(t.old)),
                      safe(facts_text(t.new)))
    console.print(table)
    _more(console, len(diff.trust))


def _more(console: Console, total: int) -> None:
    if total > ROWS:
        console.print(f"… and {total - ROWS} more (see --format json)")
    console.print()


def _incomplete(diff: GraphDiff, console: Console, old: Incomplete, new: Incomplete) -> None:
    for name, side in (("old", old), ("new", new)):
        if side:
            what = list(side.partial) or list(side.reasons)
            console.print(Text(f"Incomplete data on the {name} side ({len(what)}): what is missing is not compared",
                               style="bold yellow"))
            for line in what:
                console.print(f"  - {safe(line)}")
    aside = diff.not_in_data
    if aside:
        console.print(Text(f"Not in the data (account(s) missing on a side: {safe(', '.join(aside.accounts))}): "
                           f"{len(aside.trust)} trust change(s), {len(aside.reachers)} reacher change(s), "
                           f"{len(aside.findings)} finding change(s) neither added nor removed (see --format json)",
                           style="yellow"))
    if old or new or aside:
        console.print()


def _table(diff: GraphDiff, console: Console, split: Triage | None, old: Incomplete | None = None,
           new: Incomplete | None = None) -> None:
    _incomplete(diff, console, old or Incomplete(), new or Incomplete())
    console.print(Text(summary_line(diff), style="bold"))
    console.print()
    if diff.trust:
        _trust_table(diff, console)
    if diff.outside:
        table = Table(title=Text(" New trust from outside the organization ", style="bold red"),
                      title_justify="left")
        for column in ("role", "caller", "classification", "conditions"):
            table.add_column(column, overflow="fold")
        for o in diff.outside[:ROWS]:
            table.add_row(safe(short(o.role)), safe(short(o.caller)), safe(o.classification),
                          safe(", ".join(o.conditions) or "none"))
        console.print(table)
        _more(console, len(diff.outside))
    if diff.reachers:
        table = Table(title=Text(" Reachers of sensitive roles ", style="bold"), title_justify="left")
        for column in ("", "sensitive role", "principal", "hops", "conditions"):
            table.add_column(column, overflow="fold")
        for r in diff.reachers[:ROWS]:
            label = Text(REACHER_CHANGE_LABELS[r.change], style="green" if r.change == "lost" else "red")
            table.add_row(label, safe(short(r.role)),
                          safe(short(r.principal)), str(r.hops), safe(", ".join(r.conditions) or "none"))
        console.print(table)
        _more(console, len(diff.reachers))
    for title, found in (("Findings introduced", diff.findings_introduced),
                         ("Findings escalated", [b for _, b in diff.findings_escalated]),
                         ("Findings resolved", diff.findings_resolved)):
        if not found:
            continue
        table = Table(title=Text(f" {title} ", style="bold"), title_justify="left")
        noted = split is not None and title != "Findings resolved"
        for column in ("severity", "rule", "role", "principal", "what") + (("gate",) if noted else ()):
            table.add_column(column, overflow="fold")
        for f in found[:ROWS]:
            cells: list[Text | str]
            cells = [Text(f.severity.value, style=SEVERITY_STYLE[f.severity.value]), safe(f.rule), safe(short(f.role)),
                     safe(short(f.principal)) if f.principal else "—", safe(RULES[f.rule].title)]
            if noted:
                assert split is not None
                s = split.suppression(f)
                cells.append(safe(f"suppressed: {s.reason}" if s else
                                  "in the baseline" if split.in_baseline(f) else "counted"))
            table.add_row(*cells)
        console.print(table)
        _more(console, len(found))
    _usage_tables(diff, console)


def _usage_tables(diff: GraphDiff, console: Console) -> None:
    """Trust that became used or unused (both sides with CloudTrail events, docs/usage.md), a table per change."""
    for change, items in usage_groups(diff):
        table = Table(title=Text(f" Trust that {USAGE_CHANGE_LABELS[change]} ({len(items)}) ", style="bold"),
                      title_justify="left", caption=USAGE_CHANGE_NOTES[change], caption_justify="left")
        for column in ("role", "caller", "first", "last", "calls"):
            table.add_column(column, overflow="fold")
        for u in items[:ROWS]:
            table.add_row(safe(short(u.role)), safe(short(u.caller)), safe(u.first[:10]), safe(u.last[:10]),
                          str(u.count))
        console.print(table)
        _more(console, len(items))


def gated_findings(diff: GraphDiff) -> list[Finding]:
    """What --fail-on counts: findings introduced or escalated, and those that may be (an account missing on a
    side)."""
    return (diff.findings_introduced + [after for _, after in diff.findings_escalated]
            + [f for change, f in diff.not_in_data.findings if change != RESOLVED])


def gate_failures(diff: GraphDiff, split: Triage | None, fail_on: Severity | None, fail_on_outside: bool,
                  fail_on_reachers: bool) -> list[str]:
    """Why the change fails the gate (empty: it passes)."""
    # What touches an account missing on one side may be new: a gate told to decide anyway (--allow-incomplete)
    # counts it, so that missing data never passes a gate that whole data would fail.
    aside = diff.not_in_data
    maybe = " (some in accounts missing on a side)"
    failures: list[str] = []
    if fail_on is not None:
        unsure = [f for change, f in aside.findings if change != RESOLVED]
        failures += [line + (maybe if unsure and at_or_above(unsure, fail_on) else "")
                     for line in severity_failure(fail_on, gated_findings(diff), split, "new or escalated finding(s)")]
    outside = len(diff.outside) + len(aside.outside)
    if fail_on_outside and outside:
        failures.append(f"--fail-on-outside: {outside} new trust from outside the organization"
                        + (maybe if aside.outside else ""))
    new = sum(1 for r in diff.reachers if r.change in ("new", "unconditional"))
    unsure_reachers = sum(1 for r in aside.reachers if r.change in ("new", "unconditional"))
    if fail_on_reachers and new + unsure_reachers:
        failures.append(f"--fail-on-reachers: {new + unsure_reachers} new or now unconditional reacher(s) of "
                        "sensitive roles" + (maybe if unsure_reachers else ""))
    return failures


@main.command("diff", epilog=examples(
    "trustgraph diff samples/acme acme-pr/ --format markdown",
    "trustgraph diff --plan samples/terraform/acme-staging-plan.json samples/acme --account-id 555555555555",
    "trustgraph diff samples/acme acme-pr/ --fail-on high --fail-on-outside",
))
@click.argument("paths", nargs=-1, type=click.Path(), metavar="[OLD NEW | PATH...]")
@click.option("--old", "old_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="More inputs of the old side (repeatable): files, directories, or one saved graph.")
@click.option("--new", "new_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="More inputs of the new side (repeatable).")
@click.option("--plan", "plan_file", type=click.Path(dir_okay=False), metavar="PLAN",
              help="A Terraform plan (terraform show -json): compare the state it starts from with the state it "
                   "leaves; paths given beside it (a live snapshot) are read on both sides.")
@reading_options(both_sides=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="table, json (the diff contract, docs/diff.md) or markdown (a pull-request comment).")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--output", "-o", type=PictureFile(),
              help="Also draw the change (changed trust and its endpoints) to this file: .svg, .png, .pdf, "
                   ".dot, .html or .json.")
@click.option("--fail-on", callback=severity_value, metavar="SEVERITY",
              help="Exit 1 when the change introduces (or escalates to) a finding at or above this severity.")
@click.option("--fail-on-outside", is_flag=True, help="Exit 1 when the change adds trust from outside the "
                                                      "organization.")
@click.option("--fail-on-reachers", is_flag=True,
              help="Exit 1 when a principal newly reaches a sensitive role, or now without conditions.")
@gate_options
@sensitivity_options
@no_marks_option
def diff_command(paths: tuple[str, ...], old_paths: tuple[str, ...], new_paths: tuple[str, ...],
                 plan_file: str | None, iac_account: str | None, iac_parameters: tuple[str, ...],
                 policy_role_arn: str | None, known_accounts: str | None, accounts_file: str | None, quiet: bool,
                 no_cache: bool, jobs: int, fmt: str, as_json: bool, output: str | None, fail_on: Severity | None,
                 fail_on_outside: bool, fail_on_reachers: bool, baseline_file: str | None,
                 suppressions_file: str | None, allow_incomplete: bool, sensitive: tuple[str, ...],
                 many_reachers: int, chain_hops: int, no_marks: bool) -> None:
    """What a change does to trust: edges added, removed and changed, new outside trust, new reachers of
    sensitive roles, findings introduced and resolved.

    OLD and NEW are each a snapshot directory, a file (an export, a Terraform plan, a CloudFormation template),
    or a graph saved by `trustgraph build -o`; --old and --new add more inputs to a side (`trustgraph diff --old
    live/ --new live/ --new plan.json`: a plan's roles overlay the snapshot's, its deletions remove them).
    `trustgraph diff --plan plan.json [PATH...]` compares the state a plan starts from with the state it leaves,
    over the PATHs given. Gates: --fail-on SEVERITY (new or escalated findings, after --baseline and
    --suppressions), --fail-on-outside, --fail-on-reachers; exit code 1 when one trips, 2 on bad usage or input,
    and 2 with a gate when a side is incomplete (an input not read, a partial collection) unless --allow-incomplete.
    Trust, reachers and findings of an account missing on one side are listed as not in the data, not as changes.
    """
    if as_json:
        fmt = "json"
    iac = iac_options(iac_account, iac_parameters)
    common: dict[str, Any] = {"role_arn": policy_role_arn, "known_accounts": known_accounts,
                              "accounts_file": accounts_file, "quiet": quiet, "no_cache": no_cache, "iac": iac}
    if plan_file is not None:
        if old_paths or new_paths:
            raise click.UsageError("--plan compares the two states of one plan: give no --old/--new (paths given "
                                   "beside it are read on both sides)")
        if not Path(plan_file).is_file():
            raise click.BadParameter(f"{plan_file} does not exist", param_hint="--plan")
        old_spec, new_spec = plan_specs(plan_file, paths, **common)
    else:
        if len(paths) not in (0, 2):
            raise click.UsageError("give OLD and NEW (two paths), --old/--new, or --plan PLAN")
        old_spec = side_spec("old", paths[:1] + old_paths, **common)
        new_spec = side_spec("new", paths[1:] + new_paths, **common)
    old_spec, new_spec = replace(old_spec, jobs=jobs), replace(new_spec, jobs=jobs)
    options = FindingOptions(sensitive_patterns=tuple(sensitive), many_reachers=many_reachers,
                             long_chain_hops=chain_hops)
    old, new = load_side(old_spec, options, "old"), load_side(new_spec, options, "new")
    with phase("compare", quiet=quiet):
        diff = diff_sides(old, new)
    split = load_triage(gated_findings(diff), baseline_file, suppressions_file)
    gating = fail_on is not None or fail_on_outside or fail_on_reachers
    failures = gate_failures(diff, split, fail_on, fail_on_outside, fail_on_reachers)
    incomplete = incomplete_reason((("old side: ", old.incomplete), ("new side: ", new.incomplete)),
                                   allow_incomplete) if gating else None
    gate: dict[str, Any] | None = None
    if gating:
        gate = {"fail_on": fail_on.value if fail_on else None, "fail_on_outside": fail_on_outside,
                "fail_on_reachers": fail_on_reachers, "tripped": bool(failures) or bool(split and split.expired),
                "reasons": failures}
        if incomplete:  # only then: a gate on whole data reads as it always did
            gate["incomplete"] = incomplete
    if output:
        from trustgraph.render.diff import diff_picture

        # The sensitive roles of the comparison itself: no rule runs for the picture.
        write_picture(diff_picture(diff, old.graph, new.graph, sensitive={} if no_marks else new.sensitive),
                      output, None)
    if fmt == "json":
        click.echo(json.dumps(diff_document(
            diff, old_inputs=recorded_inputs(old_spec), new_inputs=recorded_inputs(new_spec),
            old_time=old.graph.graph.get("data_time"), new_time=new.graph.graph.get("data_time"), triage=split,
            gate=gate, old_incomplete=old.incomplete, new_incomplete=new.incomplete), indent=2))
    elif fmt == "markdown":
        click.echo(diff_markdown(diff, triage=split, gate=gate, old_incomplete=old.incomplete,
                                 new_incomplete=new.incomplete), nl=False)
    else:
        _table(diff, stdout, split, old.incomplete, new.incomplete)
    finish(failures, split, gating, incomplete)
