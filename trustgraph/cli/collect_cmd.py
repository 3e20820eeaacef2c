"""`trustgraph collect`: read IAM (and Organizations) live with boto3 into a snapshot directory.

Exit codes: 0 complete, 3 partial (some accounts, organization policies, inventory listings, Identity Center or
CloudTrail reads failed; the snapshot holds what succeeded), 2 bad usage or nothing collected, 1 unexpected error, 130
interrupted.
"""

from __future__ import annotations

import re
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from trustgraph.cli.app import examples, main
from trustgraph.cli.terminal import StdoutConsole, safe, visible

if TYPE_CHECKING:
    from trustgraph.sources.aws.collector import AccountJob
    from trustgraph.sources.aws.manifest import AccountRecord, Manifest, OrganizationRecord
    from trustgraph.sources.aws.session import ClientHook

ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

# Test seam: tests set this to register botocore event handlers on every client the run creates
# (see trustgraph.sources.aws.session.ClientHook). Never set in production.
client_hook: ClientHook | None = None


def _account_list(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [part for part in ids if not ACCOUNT_ID.match(part)]
    if bad:
        raise click.BadParameter(f"not a 12-digit account id: {', '.join(bad)}")
    if not ids:
        raise click.BadParameter("expected one or more comma-separated account ids")
    return frozenset(ids)


def _region_list(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    regions = sorted({part.strip() for part in value.split(",") if part.strip()})
    bad = [part for part in regions if not REGION.match(part)]
    if bad:
        raise click.BadParameter(f"not a region name: {', '.join(bad)}")
    if not regions:
        raise click.BadParameter("expected one or more comma-separated region names")
    return tuple(regions)


def _region(value: str | None) -> str | None:
    if value is not None and not REGION.match(value.strip()):
        raise click.BadParameter(f"not a region name: {value}")
    return value.strip() if value is not None else None


class _RichListener:
    """One spinner row per account in flight, removed when it finishes, under an overall bar."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._rows: dict[str, TaskID] = {}
        self._names: dict[str, str | None] = {}
        self._overall: TaskID | None = None
        self._organization: TaskID | None = None
        self._lock = threading.Lock()

    def planned(self, jobs: Sequence[AccountJob], with_organization: bool) -> None:
        self._names = {job.account_id: job.name for job in jobs}
        self._total = len(jobs)
        self._done = 0
        self._overall = self._progress.add_task(f"accounts 0/{self._total}", total=self._total, status="")
        if with_organization:
            self._organization = self._progress.add_task("organization policies", total=None,
                                                         status="reading SCPs and RCPs")

    def account_stage(self, account_id: str, stage: str) -> None:
        with self._lock:
            row = self._rows.get(account_id)
            if row is None:
                name = self._names.get(account_id)
                label = f"{account_id} ({name})" if name else account_id
                self._rows[account_id] = self._progress.add_task(safe(label), total=None, status=stage)
            else:
                self._progress.update(row, status=stage)

    def account_finished(self, record: AccountRecord) -> None:
        with self._lock:
            row = self._rows.pop(record.account_id, None)
            if row is not None:
                self._progress.remove_task(row)
            self._done += 1
            if self._overall is not None:
                description = f"accounts {self._done}/{self._total}"
                self._progress.update(self._overall, advance=1, description=description)

    def organization_finished(self, record: OrganizationRecord) -> None:
        if self._organization is not None:
            self._progress.remove_task(self._organization)


def _summary_table(manifest: Manifest) -> Table:
    table = Table(title=f"trustgraph collect → {safe(manifest.output_dir)}", title_justify="left")
    table.add_column("Account", no_wrap=True, min_width=12)
    table.add_column("Name", overflow="fold")
    table.add_column("Result", no_wrap=True)
    for header in ("Users", "Roles", "Groups", "Policies", "Resources", "Seconds"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Reason", no_wrap=True, min_width=10)
    style = {"ok": "green", "failed": "red", "skipped": "yellow"}
    for record in manifest.accounts:
        counts = record.counts
        numbers = ([str(counts.users), str(counts.roles), str(counts.groups), str(counts.policies)]
                   if counts else ["", "", "", ""])
        seconds = f"{record.duration_seconds:.1f}" if record.duration_seconds is not None else ""
        inventory = record.inventory
        resources = "" if inventory is None else (
            f"{inventory.resources}" + ("" if inventory.status == "ok" else f" [yellow]({inventory.status})[/]"))
        table.add_row(safe(record.account_id), safe(record.name or ""), f"[{style[record.status]}]{record.status}[/]",
                      *numbers, resources, seconds, safe(record.reason_code or ""))
    return table


def _report(manifest: Manifest, as_json: bool, interactive: bool, debug: bool) -> None:
    from trustgraph.sources.aws.snapshot_writer import to_json_text

    if as_json:
        click.echo(to_json_text(manifest.to_json()), nl=False)
    elif interactive:
        console = StdoutConsole()
        console.print(_summary_table(manifest))
        org = manifest.organization
        if org is not None:
            console.print(f"organization {safe(org.id)}: {org.accounts} accounts, {org.organizational_units} OUs, "
                          f"{org.policies} SCP/RCP policies ({org.status})")
        ic = manifest.identity_center
        if ic is not None:
            console.print(f"identity center ({safe(ic.region)}): {ic.instances} instance(s), {ic.users} users, "
                          f"{ic.groups} groups, {ic.permission_sets} permission sets, {ic.account_assignments} "
                          f"assignments ({ic.status})")
        if manifest.cloudtrail is not None:
            read = [a.cloudtrail for a in manifest.succeeded if a.cloudtrail is not None]
            console.print(f"cloudtrail {safe(manifest.cloudtrail['start'])} – {safe(manifest.cloudtrail['end'])}: "
                          f"{sum(c.events for c in read):,} STS events from {len(read)} account(s) "
                          f"({len(manifest.cloudtrail_incomplete)} incomplete)")
        verb = "written" if manifest.snapshot_written else "NOT written (nothing collected)"
        console.print(f"snapshot {verb}: {safe(manifest.output_dir)}")
    for record in manifest.failed:
        label = f"{record.account_id} ({record.name})" if record.name else record.account_id
        click.echo(visible(f"error: account {label}: {record.reason}"), err=True)
        if debug and record.error is not None:
            traceback.print_exception(record.error, file=sys.stderr)
    for record in manifest.succeeded:
        label = f"{record.account_id} ({record.name})" if record.name else record.account_id
        for problem in record.inventory.problems if record.inventory is not None else []:
            click.echo(visible(f"warning: account {label}: inventory: {problem}"), err=True)
        for problem in record.cloudtrail.problems if record.cloudtrail is not None else []:
            click.echo(visible(f"warning: account {label}: cloudtrail: {problem}"), err=True)
    if manifest.organization is not None:
        for problem in manifest.organization.problems:
            click.echo(visible(f"warning: organization: {problem}"), err=True)
    if manifest.identity_center is not None:
        for problem in manifest.identity_center.problems:
            click.echo(visible(f"warning: identity center: {problem}"), err=True)


@main.command("collect", epilog=examples(
    "trustgraph collect -o snapshot/",
    "trustgraph collect --org -o snapshot/ --profile audit",
    "trustgraph findings -i snapshot/",
))
@click.option("-o", "--output", "output_dir", required=True, metavar="SNAPSHOT_DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write: <account-id>.json per account, organization.json, identity-center.json, "
                   "manifest.json, inventory/<account-id>.json.")
@click.option("--profile", metavar="NAME", help="AWS profile (default: the standard boto3 credential chain).")
@click.option("--org", is_flag=True,
              help="Collect every ACTIVE account of the organization (from the management account or a "
                   "delegated administrator), plus organization.json and identity-center.json (IAM Identity "
                   "Center users, groups, permission sets and account assignments).")
@click.option("--identity-center-region", metavar="REGION", callback=lambda ctx, param, value: _region(value),
              help="With --org: the region of the IAM Identity Center instance (default: --region, else the "
                   "profile's).")
@click.option("--role-name", default="OrganizationAccountAccessRole", show_default=True, metavar="NAME",
              help="Role to assume in each member account.")
@click.option("--external-id", metavar="ID", help="ExternalId to pass when assuming the member role.")
@click.option("--accounts", callback=_account_list, metavar="ID,…",
              help="Only these accounts (with --org: a filter; without: assume --role-name in each).")
@click.option("--exclude", callback=_account_list, metavar="ID,…", help="Skip these accounts.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Accounts read in parallel.")
@click.option("--endpoint-url", metavar="URL",
              help="Send every AWS call to this endpoint (e.g. moto_server).")
@click.option("--region", metavar="REGION", help="Region for STS and client setup (default: profile's, "
                                                 "else us-east-1).")
@click.option("--inventory/--no-inventory", default=True, show_default=True,
              help="Also list, in every region, the resources that run code as roles (Lambda functions, EC2 "
                   "instances, CloudFormation stacks, CodeBuild projects, ECS task definitions, SageMaker "
                   "notebooks, Glue dev endpoints) into inventory/<account-id>.json: 7 read-only calls per "
                   "region and account, plus one per ECS task definition and SageMaker notebook.")
@click.option("--regions", callback=_region_list, metavar="REGION,…",
              help="Regions the inventory (and --cloudtrail-days) reads (default: every region enabled for each "
                   "account). A narrower list makes the inventory and the events incomplete for readers.")
@click.option("--cloudtrail-days", type=click.IntRange(1, 90), metavar="N",
              help="Also read the STS events (role assumptions) of the last N days (at most 90) of each account's "
                   "CloudTrail event history, in every region enabled (or --regions), into "
                   "cloudtrail/<account-id>/<region>.jsonl.gz, for observed use (docs/usage.md). LookupEvents "
                   "returns 50 events a page at two requests a second per account and region.")
@click.option("--force", is_flag=True, help="Replace an existing snapshot in SNAPSHOT_DIR.")
@click.option("--allow-partial", is_flag=True,
              help="With --force: let a partial collection (failed accounts) replace a complete snapshot.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON on stdout; no progress.")
@click.option("--debug", is_flag=True, help="Show tracebacks for failures.")
@click.pass_context
def collect(
    ctx: click.Context,
    output_dir: Path,
    profile: str | None,
    org: bool,
    identity_center_region: str | None,
    role_name: str,
    external_id: str | None,
    accounts: frozenset[str] | None,
    exclude: frozenset[str] | None,
    concurrency: int,
    endpoint_url: str | None,
    region: str | None,
    inventory: bool,
    regions: tuple[str, ...] | None,
    cloudtrail_days: int | None,
    force: bool,
    allow_partial: bool,
    as_json: bool,
    debug: bool,
) -> None:
    """Read IAM live with boto3 into SNAPSHOT_DIR (read-only: Get/List/Describe and sts:AssumeRole).

    Without --org, reads the account of the current credentials (or --accounts). A failing account
    does not stop the others; exit code 3 marks a partial snapshot, 2 that nothing was collected.
    """
    debug = debug or bool((ctx.obj or {}).get("debug"))  # `trustgraph --debug collect` means the same
    # boto3 is imported here so that `trustgraph --help` and the other commands stay fast.
    from botocore.exceptions import BotoCoreError

    from trustgraph.sources.aws.collector import CollectError, CollectOptions, Collector, SilentListener
    from trustgraph.sources.aws.failures import describe_failure
    from trustgraph.sources.aws.session import SessionFactory, SessionSettings

    options = CollectOptions(
        output_dir=output_dir,
        org=org,
        role_name=role_name,
        external_id=external_id,
        accounts=accounts,
        exclude=exclude or frozenset(),
        concurrency=concurrency,
        force=force,
        allow_partial=allow_partial,
        inventory=inventory,
        regions=regions,
        identity_center_region=identity_center_region,
        cloudtrail_days=cloudtrail_days,
    )
    interactive = not as_json and Console(stderr=True).is_terminal and Console().is_terminal
    settings = SessionSettings(profile=profile, region=region, endpoint_url=endpoint_url,
                               client_hook=client_hook)
    # ctx.exit raises click's Exit (a RuntimeError), so it is only called outside the try below.
    error: tuple[str, int] | None = None
    cause: BaseException | None = None
    try:
        sessions = SessionFactory(settings)
        if interactive:
            columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                       TextColumn("[dim]{task.fields[status]}"), TimeElapsedColumn())
            with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
                result = Collector(sessions, options, _RichListener(progress)).run()
        else:
            result = Collector(sessions, options, SilentListener()).run()
    except BotoCoreError as exc:  # credentials or profile could not be resolved
        error, cause = (describe_failure(exc, "credentials").reason, EXIT_USAGE), exc
    except CollectError as exc:
        error, cause = (str(exc), EXIT_USAGE), exc
    except KeyboardInterrupt:
        error = ("interrupted; no snapshot written", EXIT_INTERRUPTED)
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback, unless --debug
        hint = "" if debug else " (run with --debug for the traceback)"
        error, cause = (f"unexpected {type(exc).__name__}: {exc}{hint}", EXIT_UNEXPECTED), exc
    if error is not None:
        if debug and cause is not None:
            traceback.print_exception(cause, file=sys.stderr)
        click.echo(visible(f"error: {error[0]}"), err=True)
        ctx.exit(error[1])
    _report(result.manifest, as_json, interactive, debug)
    if not result.manifest.succeeded:
        click.echo("error: no account could be collected; no snapshot written", err=True)
    ctx.exit(result.outcome.value)
