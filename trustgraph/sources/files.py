"""Read any number of files or directories: detect each file's format by its content, merge all."""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustgraph.arns import ACCOUNT_ID, parse_arn
from trustgraph.gc_pause import collector_paused
from trustgraph.load_report import LoadReport
from trustgraph.model import ProgressCallback, Snapshot
from trustgraph.sources.cloudformation import looks_like_template, read_template
from trustgraph.sources.cloudtrail_file import (
    EVENT_SUFFIXES,
    first_line_is_event,
    is_event_lines,
    looks_like_cloudtrail,
    open_text,
    read_event_lines,
    read_records,
)
from trustgraph.sources.iac import PLACEHOLDER_ACCOUNT, IacOptions
from trustgraph.sources.identity_center_file import is_identity_center_document
from trustgraph.sources.inventory_file import looks_like_inventory, read_inventory
from trustgraph.sources.organization_file import looks_like_organization, read_organization
from trustgraph.sources.snapshot_builder import SnapshotBuilder
from trustgraph.sources.structured_file import INPUT_FILE_CAP, kind_problem, size_problem
from trustgraph.sources.surrogates import Replaced, may_hold_surrogates, replace_lone_surrogates
from trustgraph.sources.terraform_plan import NotAPlan, looks_like_terraform_plan, read_plan, unwrapped_plan

GAAD_KEYS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
YAML_SUFFIXES = (".yaml", ".yml", ".template")
_DATA_SUFFIXES = (".json", *EVENT_SUFFIXES)  # what a directory is searched for, besides YAML templates
# A YAML file in a directory is read only when it looks like a CloudFormation template: directories hold other
# YAML too (known accounts, CI files).
_TEMPLATE_MARK = re.compile(r"^(AWSTemplateFormatVersion|Resources)\s*:", re.MULTILINE)
# The other files of a CDK cloud assembly (cdk.out): metadata beside the templates, not IAM data.
CDK_ASSEMBLY_KEYS = (("artifacts", "version"), ("tree", "version"), ("files", "version"), ("dockerImages", "version"))
# Files a snapshot directory holds beside the inputs; they are metadata, not IAM data.
METADATA_SCHEMAS = ("trustgraph/manifest/", "trustgraph/graph/")


class UnknownFormat(Exception):
    pass


STAGING_MARK = ".staging-"  # `trustgraph collect` builds a snapshot in `.<name>.staging-*` beside it


def is_staging_dir(path: Path) -> bool:
    return path.name.startswith(".") and STAGING_MARK in path.name


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as an input file or directory (a distinct reason per case), or None if it can: a
    named pipe or a device would block the run, a file beyond `INPUT_FILE_CAP` (2 GiB) exhaust its memory."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop: not read"
        if path.is_symlink():
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            return f"dangling symbolic link (to {target}, which does not exist): not read"
        if exc.errno == errno.ENOENT:
            return "no such file or directory"
        return f"cannot read: {exc.strerror}"
    return kind_problem(st.st_mode) or size_problem(st, INPUT_FILE_CAP)


def iter_input_files(paths: Iterable[str | Path], report: LoadReport) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        problem = not_a_file(path)
        if problem is not None:
            report.error(str(path), "", problem, skipped="files")
            report.files_rejected.append(str(path))
        elif path.is_dir():
            # Directories hold other things too (READMEs, YAML): JSON files and YAML CloudFormation templates are
            # the inputs there. The staging
            # directory of an interrupted collection is not data: it is named, never read.
            # One walk of the tree (a CloudTrail AWSLogs tree holds a directory a day per account and region, and
            # each pattern asked of rglob walked all of it again); the suffixes are disjoint, so each name is
            # kept once, as the patterns kept it.
            stagings: list[Path] = []
            candidates: list[Path] = []
            for found in path.rglob("*"):
                name = found.name
                if name.endswith(_DATA_SUFFIXES):
                    candidates.append(found)
                elif name.endswith(YAML_SUFFIXES):
                    # Only a regular file is opened to look for the template mark: anything else is reported below.
                    if not _is_regular(found) or _looks_like_yaml_template(found):
                        candidates.append(found)
                if name.startswith(".") and STAGING_MARK in name[1:] and found.is_dir():  # `.*.staging-*`
                    stagings.append(found)
            for staging in sorted(stagings):
                report.warning(str(staging), "", "staging directory of an unfinished `trustgraph collect`: not "
                               "read (delete it, or run collect again, which removes it)")
            for candidate in sorted(candidates):
                inside = candidate.relative_to(path)
                # the mark's text anywhere in the path is the cheap test; its parents are looked at only then
                if STAGING_MARK in str(inside) and any(is_staging_dir(parent) for parent in inside.parents):
                    continue
                problem = not_a_file(candidate)
                if problem is None and candidate.is_file():
                    files.append(candidate)
                elif problem is not None:
                    report.error(str(candidate), "", problem, skipped="files")
                    report.files_rejected.append(str(candidate))
        else:
            files.append(path)
    return files


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _looks_like_yaml_template(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return True  # the load says why it cannot be read
    return bool(_TEMPLATE_MARK.search(head))


def is_cdk_assembly_metadata(value: Any) -> bool:
    return isinstance(value, dict) and not looks_like_template(value) \
        and any(all(k in value for k in keys) for keys in CDK_ASSEMBLY_KEYS)


def _gaad(value: dict[str, Any], builder: SnapshotBuilder, source: str) -> None:
    accounts: set[str] = set()
    for key, add in (("UserDetailList", builder.add_user), ("GroupDetailList", builder.add_group)):
        entries = value.get(key) or []
        if not isinstance(entries, list):
            builder.report.error(source, f"$.{key}", "expected a list", skipped="lists")
            continue
        for i, entry in enumerate(entries):
            add(entry, source, f"$.{key}[{i}]")
            accounts.add(_account_of_entry(entry))
    roles = value.get("RoleDetailList") or []
    for i, entry in enumerate(roles if isinstance(roles, list) else []):
        builder.add_role(entry, source, f"$.RoleDetailList[{i}]", with_identity=True)
        accounts.add(_account_of_entry(entry))
    policies = value.get("Policies") or []
    for i, entry in enumerate(policies if isinstance(policies, list) else []):
        builder.add_managed_policy(entry, source, f"$.Policies[{i}]")
        accounts.add(_account_of_entry(entry))
    accounts.discard("")
    if not accounts and value.get("IsTruncated") is True:
        accounts.add(f"(unknown account in {source})")
    builder.page(accounts, value.get("IsTruncated") is True)


def _account_of_entry(entry: Any) -> str:
    arn = entry.get("Arn") if isinstance(entry, dict) else None
    parsed = parse_arn(arn) if isinstance(arn, str) else None
    return parsed.account if parsed and ACCOUNT_ID.match(parsed.account) else ""


def _placeholder_arn(path: Path) -> str:
    stem = re.sub(r"[^\w+=,.@-]", "-", path.name.split(".")[0]) or "role"
    return f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/{stem}"


@dataclass(frozen=True)
class ReadContext:
    """What a reader gets beside the file's value: where the entries go, where they came from, and the values
    the command line supplies (the role ARN of a bare trust policy, the deploy-time values of IaC)."""

    builder: SnapshotBuilder
    source: str
    role_arn: str | None
    path: Path
    iac: IacOptions


@dataclass(frozen=True)
class InputReader:
    """One input format: how a file's top-level object is recognised, and what reads it. `expected` names it
    in the message for a file no reader recognises ("" for a format that message need not name)."""

    name: str
    detects: Callable[[dict[str, Any], ReadContext], bool]
    read: Callable[[dict[str, Any], ReadContext], None]
    expected: str = ""


def _read_get_role(value: dict[str, Any], ctx: ReadContext) -> None:
    ctx.builder.add_role(value["Role"], ctx.source, "$.Role", with_identity=False)


def _read_list_roles(value: dict[str, Any], ctx: ReadContext) -> None:
    for i, entry in enumerate(value["Roles"]):
        ctx.builder.add_role(entry, ctx.source, f"$.Roles[{i}]", with_identity=False)


def _read_role_object(value: dict[str, Any], ctx: ReadContext) -> None:
    arn = value.get("RoleArn") or value.get("Arn") or ctx.role_arn
    ctx.builder.add_role(value, ctx.source, "$", with_identity=False, arn_override=str(arn))


def _read_trust_policy(value: dict[str, Any], ctx: ReadContext) -> None:
    arn = ctx.role_arn
    if arn is None:
        arn = _placeholder_arn(ctx.path)
        ctx.builder.report.warning(ctx.source, "$", f"bare trust policy without --role-arn: read as {arn}")
    ctx.builder.add_role({"AssumeRolePolicyDocument": value}, ctx.source, "$", with_identity=False,
                         arn_override=arn)


def _read_identity_center(value: dict[str, Any], ctx: ReadContext) -> None:
    ctx.builder.identity_center(value, ctx.source)  # a rejected document is in the report already


def _reject_metadata(value: dict[str, Any], ctx: ReadContext) -> None:
    raise UnknownFormat(f"{value['schema']} is trustgraph metadata, not an IAM input"
                        + (" (pass saved graphs with --graph)" if "graph" in value["schema"] else ""))


# The input formats, tried in this order: the first whose `detects` holds reads the file, so the order is the
# precedence where a file could pass for two. A new format is one row here and its reader module.
INPUT_READERS: tuple[InputReader, ...] = (
    InputReader("gaad", lambda v, _: any(k in v for k in GAAD_KEYS),
                lambda v, ctx: _gaad(v, ctx.builder, ctx.source), "get-account-authorization-details"),
    InputReader("get-role", lambda v, _: isinstance(v.get("Role"), dict), _read_get_role, "get-role"),
    InputReader("list-roles", lambda v, _: isinstance(v.get("Roles"), list), _read_list_roles, "list-roles"),
    InputReader("role", lambda v, ctx: "AssumeRolePolicyDocument" in v
                and ("RoleArn" in v or "Arn" in v or bool(ctx.role_arn)), _read_role_object),
    InputReader("trust-policy", lambda v, _: "Statement" in v or v.keys() == {"Version"}, _read_trust_policy,
                "a trust policy"),
    InputReader("organization", lambda v, _: looks_like_organization(v),
                lambda v, ctx: read_organization(v, ctx.builder, ctx.source), "organization.json"),
    InputReader("inventory", lambda v, _: looks_like_inventory(v),
                lambda v, ctx: read_inventory(v, ctx.builder, ctx.source), "an inventory file"),
    InputReader("identity-center", lambda v, _: is_identity_center_document(v),
                _read_identity_center, "identity-center.json"),
    InputReader("trustgraph-metadata", lambda v, _: str(v.get("schema", "")).startswith(METADATA_SCHEMAS),
                _reject_metadata),
    InputReader("terraform-plan", lambda v, _: looks_like_terraform_plan(v),
                lambda v, ctx: read_plan(v, ctx.builder, ctx.source, ctx.iac),
                "a Terraform plan (terraform show -json)"),
    InputReader("cloudformation", lambda v, _: looks_like_template(v),
                lambda v, ctx: read_template(v, ctx.builder, ctx.source, ctx.iac), "a CloudFormation template"),
    InputReader("cloudtrail", lambda v, _: looks_like_cloudtrail(v),
                lambda v, ctx: read_records(v, ctx.builder, ctx.source, ctx.path),
                "CloudTrail log files ({\"Records\": [...]}, .json or .json.gz, or JSON lines)"),
)


def _expected_formats() -> str:
    names = [reader.expected for reader in INPUT_READERS if reader.expected]
    return ", ".join(names[:-1]) + " or " + names[-1]


def read_value(value: Any, builder: SnapshotBuilder, source: str, role_arn: str | None, path: Path,
               iac: IacOptions | None = None) -> None:
    iac = iac or IacOptions()
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for item in value:  # e.g. several pages saved as one JSON array
            read_value(item, builder, source, role_arn, path, iac)
        return
    if not isinstance(value, dict):
        raise UnknownFormat(f"top-level JSON is {type(value).__name__}, not an object")
    ctx = ReadContext(builder, source, role_arn, path, iac)
    reader = next((reader for reader in INPUT_READERS if reader.detects(value, ctx)), None)
    if reader is None:
        keys = ", ".join(sorted(map(str, value))[:6])
        raise UnknownFormat(f"not a recognised IAM input (top-level keys: {keys}); expected {_expected_formats()}")
    reader.read(value, ctx)


def _huge_number_location(path: Path) -> str:
    """`line L column C` of the first number too long for Python to convert, or "" if none is found."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return ""
    match = re.search(r"\d{" + str(sys.get_int_max_str_digits() or 4300) + ",}", text)
    if match is None:
        return ""
    line = text.count("\n", 0, match.start()) + 1
    column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
    return f"line {line} column {column}"


def manifest_warnings(manifest: dict[str, Any], source: str, report: LoadReport) -> None:
    """A partial snapshot is visible: a warning naming the accounts its collection failed to read, and one
    if the organization data is incomplete."""
    accounts = manifest.get("accounts")
    failed = [a for a in accounts if isinstance(a, dict) and a.get("status") == "failed"] \
        if isinstance(accounts, list) else []
    if failed:
        names = ", ".join(str(a.get("account_id", "?")) + (f" ({a['name']})" if a.get("name") else "")
                          for a in failed)
        report.warning(source, "$.accounts", f"partial snapshot: {len(failed)} account(s) could not be collected "
                       f"and are missing from the data: {names}")
    organization = manifest.get("organization")
    if isinstance(organization, dict) and organization.get("status") not in (None, "ok"):
        report.warning(source, "$.organization", f"partial snapshot: the organization data is "
                       f"{organization.get('status')} (some OUs, accounts or SCPs/RCPs could not be read)")


def read_input_text(path: Path) -> str:
    if path.name.lower().endswith(".gz"):  # a CloudTrail log file as delivered
        with open_text(path) as fh:
            return fh.read()
    return path.read_text(encoding="utf-8-sig")


def load_json_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        plan = unwrapped_plan(text)  # `terraform show -json` captured through setup-terraform's wrapper
        if plan is None:
            raise
        return plan


class YamlError(ValueError):
    def __init__(self, location: str, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def load_input_file(path: Path) -> tuple[Any, Replaced | None]:
    """The file's value: JSON, or for a YAML file (.yaml, .yml, .template) that is not JSON, a CloudFormation
    template in YAML (short-form tags read as the long form). YAML problems raise `YamlError`. Lone surrogate
    escapes are replaced here, so that no later stage sees one: the second item says where (or None)."""
    text = read_input_text(path)
    value = _parse_input_text(path, text)
    if may_hold_surrogates(text):
        return replace_lone_surrogates(value)
    return value, None


def _parse_input_text(path: Path, text: str) -> Any:
    try:
        return load_json_text(text)
    except json.JSONDecodeError:
        if path.suffix.lower() not in YAML_SUFFIXES:
            raise
    import yaml  # only when a YAML file is read: the CLI starts without it

    from trustgraph.sources.cloudformation_yaml import TemplateTooLarge, load_yaml_template

    try:
        return load_yaml_template(text)
    except TemplateTooLarge as exc:
        mark = exc.problem_mark
        raise YamlError(f"line {mark.line + 1} column {mark.column + 1}" if mark else "", str(exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise YamlError(where, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError("", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError("", "invalid YAML: nested too deeply to read") from None
    except TypeError as exc:  # e.g. a mapping used as a key
        raise YamlError("", f"invalid YAML: {exc}") from None


def load_inputs(paths: Iterable[str | Path], role_arn: str | None = None,
                progress: ProgressCallback | None = None, iac: IacOptions | None = None,
                base: tuple[Snapshot, str] | None = None) -> tuple[Snapshot, LoadReport]:
    """Read every input into one Snapshot; problems go to the report, never raise. `progress(files done,
    files)` is called before each file and once at the end. `iac`: the values Terraform plans and CloudFormation
    templates leave to deploy time (account, parameters) and which side of a plan is read. `base`: a snapshot
    read before and where it came from (a saved graph), which the inputs are read over as if it were one more
    export (`SnapshotBuilder.seed`)."""
    with collector_paused():
        return _load_inputs(paths, role_arn, progress, iac or IacOptions(), base)


def _load_inputs(paths: Iterable[str | Path], role_arn: str | None,
                 progress: ProgressCallback | None, iac: IacOptions,
                 base: tuple[Snapshot, str] | None = None) -> tuple[Snapshot, LoadReport]:
    report = LoadReport()
    builder = SnapshotBuilder(report)
    if base is not None:
        builder.seed(*base)
        report.files_read.append(base[1])
    files = iter_input_files(paths, report)
    for i, path in enumerate(files):
        if progress:
            progress(i, len(files))
        source = str(path)
        if is_event_lines(path):
            if read_event_lines(path, builder, source):
                report.files_read.append(source)
            continue
        try:
            value, replaced = load_input_file(path)
        except YamlError as exc:
            report.error(source, exc.location, exc.message, skipped="files")
            report.files_rejected.append(source)
            continue
        except UnicodeDecodeError:
            report.error(source, "", "not a text file", skipped="files")
            report.files_rejected.append(source)
            continue
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and first_line_is_event(path):  # JSON lines named .json
                if read_event_lines(path, builder, source):
                    report.files_read.append(source)
                continue
            report.error(source, f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}",
                         skipped="files")
            report.files_rejected.append(source)
            continue
        except (OSError, EOFError) as exc:  # a truncated or damaged .gz too
            report.error(source, "", f"cannot read: {getattr(exc, 'strerror', None) or exc}", skipped="files")
            report.files_rejected.append(source)
            continue
        except RecursionError:
            report.error(source, "", "invalid JSON: nested too deeply to read (arrays/objects inside each other "
                         f"more than about {sys.getrecursionlimit()} levels)", skipped="files")
            report.files_rejected.append(source)
            continue
        except ValueError as exc:  # Python's limit on the digits of an integer, and the like
            report.error(source, _huge_number_location(path), f"invalid JSON: {str(exc).split(';')[0]}",
                         skipped="files")
            report.files_rejected.append(source)
            continue
        if replaced is not None:
            report.warning(source, replaced.first, replaced.sentence())
        if isinstance(value, dict) and str(value.get("schema", "")).startswith("trustgraph/manifest/"):
            builder.manifest(value, source)  # `trustgraph collect` writes its manifest beside the account files
            manifest_warnings(value, source, report)  # `trustgraph collect` writes it beside the account files
            continue
        if is_cdk_assembly_metadata(value):
            continue  # cdk.out holds these beside its templates
        try:
            read_value(value, builder, source, role_arn, path, iac)
        except (UnknownFormat, NotAPlan) as exc:
            report.error(source, "$", str(exc), skipped="files")
            report.files_rejected.append(source)
            continue
        except RecursionError:
            report.error(source, "", "nested too deeply to read; what was read before is kept", skipped="files")
            report.files_rejected.append(source)
            continue
        except Exception as exc:  # noqa: BLE001 - one odd file must not abort the run: say where, read the rest
            report.error(source, builder.location or "$", f"cannot read this entry ({type(exc).__name__}: {exc}); "
                         "the rest of the file is skipped", skipped="files")
            report.files_rejected.append(source)
            continue
        report.files_read.append(source)
    if progress:
        progress(len(files), len(files))
    return builder.finish(), report
