"""--baseline, --suppressions and --allow-incomplete for the --fail-on gates of `findings` and `diff`: reading the
files, the split of the findings (analysis/findings/gate.py) and the messages that explain a failed gate.

A gate never passes on an error: an input that could not be read (a plan that is not a plan among them) or data a
collection marks partial ends a gated run with exit 2 once its outputs are written, unless --allow-incomplete
says to gate on what was read."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any

import click

from trustgraph.analysis.diff import Incomplete
from trustgraph.analysis.findings import Finding, Severity, at_or_above
from trustgraph.analysis.findings.gate import Triage, triage
from trustgraph.cli.terminal import visible

EXIT_GATE = 1
EXIT_INCOMPLETE = 2


def gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--allow-incomplete", is_flag=True,
                        help="Let the --fail-on gates decide on incomplete data (an input that could not be read, "
                             "a collection marked partial) instead of exiting 2.")(func)
    func = click.option("--suppressions", "suppressions_file", type=click.Path(exists=True, dir_okay=False),
                        help="YAML/JSON list of accepted findings ({rule, subject ARN glob, reason, expires}): "
                             "reported as suppressed, not counted by --fail-on; an expired entry fails the "
                             "gate.")(func)
    func = click.option("--baseline", "baseline_file", type=click.Path(exists=True, dir_okay=False),
                        help="A previous `findings --format json`: --fail-on counts only findings not in it "
                             "(matched by fingerprint: rule id + role + principal).")(func)
    return func


def severity_value(ctx: click.Context, param: click.Parameter, value: str | None) -> Severity | None:
    """The click callback of --fail-on and --min-severity."""
    if value is None:
        return None
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def today() -> date:
    return datetime.now(UTC).date()


def load_triage(findings: Iterable[Finding], baseline_file: str | None,
                suppressions_file: str | None) -> Triage | None:
    """The findings split by the baseline and the suppressions; None when neither file is given."""
    if not baseline_file and not suppressions_file:
        return None
    from trustgraph.cli.gate_files import load_baseline, load_suppressions

    baseline = load_baseline(baseline_file) if baseline_file else None
    suppressions = load_suppressions(suppressions_file) if suppressions_file else []
    return triage(findings, baseline=baseline, suppressions=suppressions, today=today())


def counted(findings: list[Finding], split: Triage | None) -> list[Finding]:
    """What a gate counts: every finding, or with a baseline/suppressions only the open ones."""
    return list(split.open) if split is not None else findings


def expiry_messages(split: Triage | None) -> list[str]:
    if split is None:
        return []
    return [f"suppression {s.describe()} expired on {s.expires}: renew it (a new reason and date) or remove it"
            for s in split.expired]


def incomplete_reason(sides: Iterable[tuple[str, Incomplete]], allow: bool) -> str | None:
    """The one line a gated run on incomplete data ends with (None when the data is whole, or allowed)."""
    if allow:
        return None
    reasons = [f"{name}{r}" for name, side in sides for r in side.partial]
    if not reasons:
        return None
    more = f" (and {len(reasons) - 2} more)" if len(reasons) > 2 else ""
    return (f"incomplete data, no gate can pass: {'; '.join(reasons[:2])}{more}; --allow-incomplete gates on what "
            "was read")


def finish(failures: list[str], split: Triage | None, gating: bool, incomplete: str | None = None) -> None:
    """Print why the gate failed and exit 1 (2 when the data is incomplete: `incomplete_reason`); without a gate,
    expired suppressions are only warned about."""
    expired = expiry_messages(split)
    if not gating:
        for line in expired:
            click.echo(f"warning: {visible(line)}", err=True)
        return
    failures = failures + expired
    for line in failures:
        click.echo(visible(line), err=True)
    if incomplete:
        click.echo(f"error: {visible(incomplete)}", err=True)
        sys.exit(EXIT_INCOMPLETE)
    if failures:
        sys.exit(EXIT_GATE)


def severity_failure(fail_on: Severity, findings: list[Finding], split: Triage | None, what: str) -> list[str]:
    tripped = at_or_above(counted(findings, split), fail_on)
    if not tripped:
        return []
    aside = ""
    if split is not None:
        aside = f" ({len(split.baselined)} in the baseline and {len(split.suppressed)} suppressed not counted)"
    return [f"--fail-on {fail_on.value}: {len(tripped)} {what} at or above it{aside}"]
