"""Plan which accounts to read and read them on a thread pool into one snapshot directory.

Each account is one task: (assume the member role →) get-account-authorization-details → write
`<account-id>.json` into the staging directory → (unless --no-inventory) list the resources running as
roles, region after region, into `inventory/<account-id>.json`. A failing account becomes a "failed"
record and never stops the others; a failing inventory listing is recorded in the account's inventory
and never fails the account. With --org the SCP/RCP export and the IAM Identity Center export
(`identity-center.json`: who holds which permission set where) are two more tasks on the same pool.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Protocol

from trustgraph.sources.aws.cloudtrail_export import EVENT_SOURCE, LOOKUP_ACTION, Window, export_cloudtrail
from trustgraph.sources.aws.failures import Failure, action_of, describe_failure
from trustgraph.sources.aws.iam_export import Interrupted, count_entities, export_authorization_details
from trustgraph.sources.aws.identity_center_export import (
    IDENTITY_CENTER_NAME,
    IdentityCenterExport,
    export_identity_center,
)
from trustgraph.sources.aws.inventory_export import enabled_regions, export_inventory, inventory_file_name
from trustgraph.sources.aws.manifest import (
    AccountRecord,
    CloudTrailRecord,
    CloudTrailStatus,
    IdentityCenterRecord,
    InventoryRecord,
    Manifest,
    OrganizationRecord,
)
from trustgraph.sources.aws.organization_export import (
    OrganizationStructure,
    PolicyExport,
    organization_document,
    read_policies,
    read_structure,
)
from trustgraph.sources.aws.session import SessionFactory, role_arn
from trustgraph.sources.aws.snapshot_writer import (
    MANIFEST_NAME,
    ORGANIZATION_NAME,
    NotAnAccountId,
    SnapshotRefused,
    SnapshotWriter,
    account_file_name,
    checked_account_id,
    is_complete_snapshot,
)
from trustgraph.version import __version__

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_CONCURRENCY = 8
GAAD_ACTION = "iam:GetAccountAuthorizationDetails"
ASSUME_ACTION = "sts:AssumeRole"


class CollectError(Exception):
    """Nothing can be collected (no credentials, organization unreadable, bad output dir)."""


class Outcome(Enum):
    COMPLETE = 0
    PARTIAL = 3
    NOTHING = 2


@dataclass(frozen=True)
class CollectOptions:
    output_dir: Path
    org: bool = False
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    accounts: frozenset[str] | None = None
    """Only these accounts (with --org: a filter on the organization's accounts)."""
    exclude: frozenset[str] = frozenset()
    concurrency: int = DEFAULT_CONCURRENCY
    force: bool = False
    allow_partial: bool = False
    """With force: let a partial collection replace a complete snapshot (refused otherwise)."""
    inventory: bool = True
    """Also list the resources that run code as roles (Lambda, EC2, CloudFormation, …) in every region."""
    regions: tuple[str, ...] | None = None
    """Regions the inventory reads; None: every region enabled for the account."""
    identity_center_region: str | None = None
    """With --org, the region of the IAM Identity Center instance; None: the session's region."""
    cloudtrail_days: int | None = None
    """Also read the STS events of the last N days (1-90) of each account's CloudTrail event history, in
    `regions` (None: every enabled region)."""


@dataclass(frozen=True)
class AccountJob:
    account_id: str
    name: str | None
    via: Literal["caller", "assumed-role"]


@dataclass
class CollectResult:
    manifest: Manifest
    outcome: Outcome


class CollectListener(Protocol):
    """Progress callbacks. Called from worker threads; implementations must be thread-safe."""

    def planned(self, jobs: Sequence[AccountJob], with_organization: bool) -> None: ...
    def account_stage(self, account_id: str, stage: str) -> None: ...
    def account_finished(self, record: AccountRecord) -> None: ...
    def organization_finished(self, record: OrganizationRecord) -> None: ...


class SilentListener:
    def planned(self, jobs: Sequence[AccountJob], with_organization: bool) -> None:
        pass

    def account_stage(self, account_id: str, stage: str) -> None:
        pass

    def account_finished(self, record: AccountRecord) -> None:
        pass

    def organization_finished(self, record: OrganizationRecord) -> None:
        pass


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def plan_jobs(
    options: CollectOptions, caller_account: str, structure: OrganizationStructure | None
) -> tuple[list[AccountJob], list[AccountRecord]]:
    """The accounts to read, and records for requested accounts that will not be read."""
    jobs: list[AccountJob] = []
    records: list[AccountRecord] = []

    def job(account_id: str, name: str | None) -> AccountJob:
        return AccountJob(account_id, name, "caller" if account_id == caller_account else "assumed-role")

    def valid(account_id: str, name: str | None) -> bool:
        """An account id names the account's files and its role ARN: one that is not 12 digits (an
        Organizations answer `../x`) is recorded as failed and never read."""
        try:
            checked_account_id(account_id)
        except NotAnAccountId:
            records.append(AccountRecord(
                account_id=account_id, name=name, status="failed", credentials="assumed-role",
                reason_code="invalid-account-id", reason="the account id is not 12 digits; not read",
            ))
            return False
        return True

    if structure is None:
        wanted = sorted(options.accounts) if options.accounts else [caller_account]
        jobs = [job(a, None) for a in wanted if a not in options.exclude and valid(a, None)]
        return jobs, records

    members = {a.id: a for a in structure.accounts}
    for account in structure.accounts:
        if account.id in options.exclude:
            continue
        if options.accounts is not None and account.id not in options.accounts:
            continue
        if not valid(account.id, account.name):
            continue
        if not account.active:
            records.append(AccountRecord(
                account_id=account.id, name=account.name, status="skipped",
                credentials="caller" if account.id == caller_account else "assumed-role",
                reason_code="not-active", reason=f"account status is {account.status}",
            ))
            continue
        jobs.append(job(account.id, account.name))
    for account_id in sorted((options.accounts or frozenset()) - members.keys() - options.exclude):
        records.append(AccountRecord(
            account_id=account_id, status="failed", credentials="assumed-role",
            reason_code="not-in-organization", reason="not a member of the organization",
        ))
    return jobs, records


class Collector:
    def __init__(
        self,
        sessions: SessionFactory,
        options: CollectOptions,
        listener: CollectListener | None = None,
    ) -> None:
        self.sessions = sessions
        self.options = options
        self.listener: CollectListener = listener or SilentListener()
        self._stop = threading.Event()
        self._window: Window | None = None

    def run(self) -> CollectResult:
        """Collect into options.output_dir. Raises CollectError when nothing can be collected at all."""
        try:
            writer = SnapshotWriter(self.options.output_dir, self.options.force)
        except SnapshotRefused as exc:
            raise CollectError(str(exc)) from exc
        except OSError as exc:
            raise CollectError(f"cannot create the snapshot directory: {exc}") from exc
        try:
            result = self._run(writer)
        except BaseException:
            writer.abort()
            raise
        return result

    def _run(self, writer: SnapshotWriter) -> CollectResult:
        pool = ThreadPoolExecutor(max_workers=self.options.concurrency, thread_name_prefix="collect")
        try:
            result = self._collect(writer, pool)
        except BaseException:
            # Ctrl-C or a fatal error: stop workers between calls, drop queued accounts, and do not
            # wait for calls in flight (their results would be discarded anyway).
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return result

    def _collect(self, writer: SnapshotWriter, pool: ThreadPoolExecutor) -> CollectResult:
        options = self.options
        started = _now()
        try:
            identity = self.sessions.caller_identity()
        except Exception as exc:
            raise CollectError(describe_failure(exc, "sts:GetCallerIdentity").reason) from exc
        try:
            checked_account_id(identity.account_id)
        except NotAnAccountId as exc:
            raise CollectError(f"sts:GetCallerIdentity answered {exc}") from exc

        structure: OrganizationStructure | None = None
        if options.org:
            try:
                structure = read_structure(lambda: self.sessions.caller_client("organizations"), pool)
            except Exception as exc:
                failure = describe_failure(exc, action_of(exc, "organizations", "organizations:ListAccounts"))
                hint = "" if failure.code == "not-in-organization" else (
                    " (--org needs the management account or a delegated administrator)")
                raise CollectError(f"cannot read the organization: {failure.reason}{hint}") from exc

        manifest = Manifest(
            trustgraph_version=__version__,
            started_at=started,
            caller_arn=identity.arn,
            caller_account_id=identity.account_id,
            mode="organization" if options.org else ("accounts" if options.accounts else "caller-account"),
            output_dir=str(writer.target),
            role_name=options.role_name,
            external_id_used=bool(options.external_id),
            concurrency=options.concurrency,
        )
        if options.cloudtrail_days is not None:
            # one window for every account and region, so that the snapshot covers one period
            self._window = Window.last_days(options.cloudtrail_days, dt.datetime.now(dt.UTC).replace(microsecond=0))
            manifest.cloudtrail = {"days": options.cloudtrail_days, **self._window.to_json(),
                                   "event_source": EVENT_SOURCE}
        jobs, not_collected = plan_jobs(options, identity.account_id, structure)
        if not jobs:
            raise CollectError("no account left to collect after --accounts/--exclude and account status")
        if not any(job.via == "assumed-role" for job in jobs):
            manifest.role_name = None
        self.listener.planned(jobs, structure is not None)

        records: dict[str, AccountRecord] = {}
        policies: PolicyExport | None = None
        identity_center: IdentityCenterExport | None = None
        futures: list[Future[object]] = []
        if structure is not None:
            futures.append(pool.submit(self._read_policies))
            futures.append(pool.submit(self._read_identity_center))
        for job in jobs:
            futures.append(pool.submit(self._collect_account, job, identity.partition, writer))
        for future in as_completed(futures):
            value = future.result()
            if isinstance(value, AccountRecord):
                records[value.account_id] = value
                self.listener.account_finished(value)
            elif isinstance(value, PolicyExport):
                policies = value
            elif isinstance(value, IdentityCenterExport):
                identity_center = value

        manifest.accounts = [records[job.account_id] for job in jobs] + not_collected
        if structure is not None:
            manifest.organization = self._write_organization(writer, structure, policies or PolicyExport())
            self.listener.organization_finished(manifest.organization)
        if identity_center is not None:
            manifest.identity_center = self._write_identity_center(writer, identity_center)

        manifest.finished_at = _now()
        if not manifest.succeeded:
            writer.abort()  # keep whatever snapshot was there before
            return CollectResult(manifest, Outcome.NOTHING)
        if manifest.partial and not options.allow_partial and is_complete_snapshot(writer.target):
            writer.abort()  # keep the complete snapshot that is there
            failed = ", ".join(a.account_id + (f" ({a.name})" if a.name else "") for a in manifest.failed)
            lacking = ", ".join(a.account_id + (f" ({a.name})" if a.name else "")
                                for a in manifest.inventory_incomplete)
            events = ", ".join(a.account_id + (f" ({a.name})" if a.name else "")
                               for a in manifest.cloudtrail_incomplete)
            organization = manifest.organization is not None and manifest.organization.status != "ok"
            what = (f"account(s) {failed} failed" if failed else
                    f"the inventory of account(s) {lacking} is incomplete" if lacking else
                    "the organization data is incomplete" if organization else
                    f"the CloudTrail events of account(s) {events} are incomplete" if events else
                    "the Identity Center data is incomplete")
            raise CollectError(f"this collection is partial ({what}) and {writer.target} holds a complete "
                               "snapshot: kept it; pass --allow-partial to replace it anyway")
        manifest.snapshot_written = True
        writer.write_json(MANIFEST_NAME, manifest.to_json())
        try:
            writer.commit()
        except OSError as exc:
            raise CollectError(f"cannot move the snapshot into {writer.target}: {exc}") from exc
        return CollectResult(manifest, Outcome.PARTIAL if manifest.partial else Outcome.COMPLETE)

    def _read_policies(self) -> PolicyExport:
        try:
            return read_policies(self.sessions.caller_client("organizations"))
        except Exception as exc:  # noqa: BLE001 - missing policies make the snapshot partial, not absent
            return PolicyExport(failures=[describe_failure(exc, "organizations:ListPolicies")])

    def _read_identity_center(self) -> IdentityCenterExport:
        region = self.options.identity_center_region or self.sessions.region
        try:
            return export_identity_center(
                self.sessions.caller_client("sso-admin", region), self.sessions.caller_client("identitystore", region),
                self.sessions.caller_client("organizations"), region, should_stop=self._stop.is_set)
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - e.g. a client for an unknown region: recorded, never the run's
            return IdentityCenterExport(region, failures=[describe_failure(exc, "sso:ListInstances")])

    def _write_identity_center(self, writer: SnapshotWriter, export: IdentityCenterExport) -> IdentityCenterRecord:
        problems = export.missing
        record = IdentityCenterRecord(
            status="ok" if not problems else "partial" if export.listed else "failed", region=export.region,
            file=IDENTITY_CENTER_NAME, problems=problems, **export.counts())
        try:
            writer.write_json(IDENTITY_CENTER_NAME, export.to_json(_now()))
        except OSError as exc:
            record.status = "failed"
            record.file = None
            record.problems.append(describe_failure(exc, "write").reason)
        return record

    def _write_organization(
        self, writer: SnapshotWriter, structure: OrganizationStructure, policies: PolicyExport
    ) -> OrganizationRecord:
        record = OrganizationRecord(
            status="partial" if policies.failures else "ok",
            id=structure.id,
            management_account_id=structure.management_account_id,
            file=ORGANIZATION_NAME,
            accounts=len(structure.accounts),
            organizational_units=len(structure.organizational_units),
            policies=len(policies.policies),
            problems=[failure.reason for failure in policies.failures],
        )
        try:
            writer.write_json(ORGANIZATION_NAME, organization_document(structure, policies.policies,
                                                                         policies_complete=not policies.failures))
        except OSError as exc:
            record.status = "failed"
            record.file = None
            record.problems.append(describe_failure(exc, "write").reason)
        return record

    def _collect_account(self, job: AccountJob, partition: str, writer: SnapshotWriter) -> AccountRecord:
        started = time.monotonic()
        record = AccountRecord(account_id=job.account_id, name=job.name, status="failed", credentials=job.via)
        stage = ASSUME_ACTION if job.via == "assumed-role" else GAAD_ACTION
        target: str | None = None
        try:
            if self._stop.is_set():
                raise Interrupted()
            if job.via == "assumed-role":
                target = record.role_arn = role_arn(partition, job.account_id, self.options.role_name)
                self.listener.account_stage(job.account_id, "assuming role")
                credentials = self.sessions.assume_role(target, self.options.external_id)
                iam = self.sessions.assumed_client("iam", credentials, job.account_id)
                clients: dict[tuple[str, str | None], Any] = {}

                def client_for(service: str, region: str | None) -> Any:
                    if (service, region) not in clients:
                        clients[(service, region)] = self.sessions.assumed_client(
                            service, credentials, job.account_id, region)
                    return clients[(service, region)]
            else:
                iam = self.sessions.caller_client("iam")
                client_for = self.sessions.caller_client
            stage, target = GAAD_ACTION, None
            self.listener.account_stage(job.account_id, "reading IAM")
            document = export_authorization_details(
                iam,
                on_page=lambda n: self.listener.account_stage(job.account_id, f"reading IAM (page {n})"),
                should_stop=self._stop.is_set,
            )
            name = account_file_name(job.account_id)
            writer.write_json(name, document)
            record.status, record.file, record.counts = "ok", name, count_entities(document)
            if self.options.inventory:
                stage = "inventory"
                try:
                    record.inventory = self._collect_inventory(job, partition, document, client_for, writer)
                except Interrupted:
                    raise
                except Exception as exc:  # noqa: BLE001 - the IAM data is read; only the inventory is missing
                    reason = describe_failure(exc, "inventory").reason
                    record.inventory = InventoryRecord(status="failed", problems=[reason])
            if self._window is not None:
                stage = LOOKUP_ACTION
                try:
                    record.cloudtrail = self._collect_cloudtrail(job, partition, self._window, client_for, writer)
                except Interrupted:
                    raise
                except Exception as exc:  # noqa: BLE001 - the IAM data is read; only the events are missing
                    reason = describe_failure(exc, LOOKUP_ACTION).reason
                    record.cloudtrail = CloudTrailRecord(status="failed", problems=[reason])
        except Interrupted as exc:
            self._fail(record, Failure("interrupted", "interrupted before the account was read"), stage, exc)
        except Exception as exc:  # noqa: BLE001 - any failure is this account's, never the run's
            self._fail(record, describe_failure(exc, stage, target), stage, exc)
        record.duration_seconds = round(time.monotonic() - started, 3)
        return record

    def _collect_inventory(self, job: AccountJob, partition: str, document: dict[str, Any],
                           client_for: Callable[[str, str | None], Any], writer: SnapshotWriter) -> InventoryRecord:
        """The account's inventory file. Its failures are the inventory's (recorded, the account stays read),
        except Ctrl-C, which stops the run."""
        self.listener.account_stage(job.account_id, "inventory")
        export = export_inventory(
            client_for, job.account_id, partition, document, self.options.regions,
            lambda service: self.sessions.available_regions(service, partition),
            on_stage=lambda stage: self.listener.account_stage(job.account_id, stage),
            should_stop=self._stop.is_set,
        )
        problems = ([export.regions_problem] if export.regions_problem else []) + [
            f"{c.service} {c.reason}" for c in export.failures]
        record = InventoryRecord(status="partial" if problems else "ok", regions=len(export.regions),
                                 all_regions=export.all_regions, resources=len(export.resources),
                                 problems=problems)
        name = inventory_file_name(job.account_id)
        try:
            writer.write_json(name, export.to_json(_now()))
            record.file = name
        except OSError as exc:
            record.status = "failed"
            record.problems.append(describe_failure(exc, "write").reason)
        return record

    def _collect_cloudtrail(self, job: AccountJob, partition: str, window: Window,
                            client_for: Callable[[str, str | None], Any], writer: SnapshotWriter) -> CloudTrailRecord:
        """The account's STS events of the window, one file a region. A region's failure is recorded and makes the
        record partial (failed when no region was read); Ctrl-C stops the run."""
        export = export_cloudtrail(
            client_for, job.account_id, window, self.options.regions, lambda: enabled_regions(client_for),
            self.sessions.available_regions("cloudtrail", partition), writer,
            on_stage=lambda stage: self.listener.account_stage(job.account_id, stage),
            should_stop=self._stop.is_set,
        )
        reads = [r for r in export.regions if r.status != "not-offered"]
        problems = ([export.regions_problem] if export.regions_problem else []) + [
            p for r in reads for p in ([r.reason] if r.reason else []) + r.problems]
        more = sum(r.bad_events for r in reads) - sum(len(r.problems) for r in reads)
        if more > 0:
            problems.append(f"{more} more unreadable event(s), not read")
        ok = [r for r in reads if r.status != "failed"]
        status: CloudTrailStatus = "failed" if not ok else "partial" if problems else "ok"
        return CloudTrailRecord(status=status, events=sum(r.events for r in reads), all_regions=export.all_regions,
                                regions=[r.to_json() for r in export.regions], problems=problems)

    @staticmethod
    def _fail(record: AccountRecord, failure: Failure, stage: str, exc: BaseException) -> None:
        record.status = "failed"
        record.stage = stage
        record.reason_code = failure.code
        record.reason = failure.reason
        record.aws_message = failure.detail
        record.error = exc

