"""Read IAM Identity Center documents (schema trustgraph/identity-center/v1, see docs/identity-center-schema.md):
the users and groups of the identity store, permission sets, and which principal holds which permission set in
which account.

Every bad entry is one located diagnostic and is skipped, the rest is kept; a document of the wrong shape is
rejected with one diagnostic. Nothing here raises on any JSON value. Skipped entries, unreadable sections and
inline policies, and a document that does not say it is complete make the data partial (`IdentityCenter.complete`
false, `missing` says why): a person without an assignment in partial data may still have one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from trustgraph.arns import ACCOUNT_ID, parse_arn
from trustgraph.load_report import Diagnostic
from trustgraph.model import (
    AccountAssignment,
    CustomerManagedPolicyRef,
    ExternalId,
    GroupMembership,
    IdentityCenter,
    IdentityCenterGroup,
    IdentityCenterInstance,
    IdentityCenterUser,
    PermissionsBoundaryRef,
    PermissionSet,
    PolicyDocument,
)
from trustgraph.sources.policy_parser import parse_policy
from trustgraph.sources.policy_quotas import PERMISSION_SET_INLINE_POLICY, PERMISSION_SET_POLICIES
from trustgraph.version import SCHEMAS

SCHEMA = SCHEMAS["identity-center"]
SCHEMA_FAMILY = SCHEMA.rsplit("/", 1)[0] + "/"
SKIPPED = "Identity Center entries"
PRINCIPAL_TYPES = ("USER", "GROUP")
# The sections of a document, in the order they are read and named.
SECTIONS = ("instances", "users", "groups", "group_memberships", "permission_sets", "account_assignments")

T = TypeVar("T")


def is_identity_center_document(data: object) -> bool:
    """Whether `data` claims to be an Identity Center document (its `schema`); the reader says what is wrong
    with it, including an unsupported version of the schema."""
    return isinstance(data, dict) and isinstance(data.get("schema"), str) and data["schema"].startswith(SCHEMA_FAMILY)


class _Invalid(Exception):
    """An entry that cannot be read: where (relative to the entry) and why."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _shape(value: Any) -> str:
    return "null" if value is None else f"a JSON {type(value).__name__}"


def _text(raw: dict[str, Any], key: str) -> str:
    """A required non-empty string field."""
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise _Invalid(f".{key}", f"expected a non-empty string, got {value!r}" if isinstance(value, str)
                       else f"expected a non-empty string, got {_shape(value)}")
    return value


def _optional_text(raw: dict[str, Any], key: str, default: str | None = "") -> str | None:
    value = raw.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _Invalid(f".{key}", f"expected a string or null, got {_shape(value)}")
    return value


def _account(raw: dict[str, Any], key: str, required: bool) -> str | None:
    value = raw.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not ACCOUNT_ID.match(value):
        raise _Invalid(f".{key}", f"{value!r} is not a 12-digit account id" if isinstance(value, str | int)
                       and not isinstance(value, bool) else f"expected a 12-digit account id, got {_shape(value)}")
    return value


def _arn(raw: dict[str, Any], key: str, service: str) -> str:
    value = _text(raw, key)
    parsed = parse_arn(value)
    if parsed is None or parsed.service != service:
        raise _Invalid(f".{key}", f"{value!r} is not an ARN of service {service}")
    return value


def _name_of(raw: dict[str, Any]) -> str:
    """The entry's name for a message, before it is known to be one."""
    name = raw.get("name")
    return name if isinstance(name, str) and name else "(without a name)"


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(f".{key}", f"expected a list, got {_shape(value)}")
    return value


def _external_ids(raw: dict[str, Any]) -> tuple[ExternalId, ...]:
    """AWS's `[{"Issuer": …, "Id": …}]` (either capitalisation), or plain strings (no issuer)."""
    out: list[ExternalId] = []
    for i, item in enumerate(_list(raw, "external_ids")):
        if isinstance(item, str) and item:
            out.append(ExternalId("", item))
            continue
        if isinstance(item, dict):
            issuer = item.get("issuer", item.get("Issuer", ""))
            ident = item.get("id", item.get("Id"))
            if isinstance(issuer, str) and isinstance(ident, str) and ident:
                out.append(ExternalId(issuer, ident))
                continue
        raise _Invalid(f".external_ids[{i}]", "expected a string or an object with a string id (and issuer), got "
                       f"{_shape(item)}")
    return tuple(out)


def _emails(raw: dict[str, Any]) -> tuple[str, ...]:
    """Strings, or AWS's `[{"Value": …, "Type": …, "Primary": …}]`."""
    out: list[str] = []
    for i, item in enumerate(_list(raw, "emails")):
        value = item.get("Value", item.get("value")) if isinstance(item, dict) else item
        if not isinstance(value, str):
            raise _Invalid(f".emails[{i}]", f"expected a string or an object with a string Value, got {_shape(item)}")
        out.append(value)
    return tuple(out)


def _policy_ref(item: Any, where: str) -> CustomerManagedPolicyRef:
    """`{"name", "path"}` or AWS's `{"Name", "Path"}`; the path defaults to "/"."""
    if not isinstance(item, dict):
        raise _Invalid(where, f"expected an object with a name and a path, got {_shape(item)}")
    name = item.get("name", item.get("Name"))
    path = item.get("path", item.get("Path", "/"))
    if not isinstance(name, str) or not name:
        raise _Invalid(f"{where}.name", f"expected a non-empty string, got {_shape(name)}")
    if path is None:
        path = "/"
    if not isinstance(path, str) or not path.startswith("/") or not path.endswith("/"):
        raise _Invalid(f"{where}.path", f"expected a path such as \"/\" or \"/team/\", got {path!r}")
    return CustomerManagedPolicyRef(name, path)


def _boundary(raw: dict[str, Any]) -> PermissionsBoundaryRef | None:
    """AWS's shape: `{"ManagedPolicyArn": …}` or `{"CustomerManagedPolicyReference": {"Name", "Path"}}`."""
    value = raw.get("permissions_boundary")
    if value is None:
        return None
    where = ".permissions_boundary"
    if not isinstance(value, dict):
        raise _Invalid(where, f"expected an object or null, got {_shape(value)}")
    arn = value.get("ManagedPolicyArn")
    reference = value.get("CustomerManagedPolicyReference")
    if (arn is None) == (reference is None):
        raise _Invalid(where, "expected exactly one of ManagedPolicyArn and CustomerManagedPolicyReference")
    if arn is not None:
        parsed = parse_arn(arn) if isinstance(arn, str) else None
        if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
            raise _Invalid(f"{where}.ManagedPolicyArn", f"{arn!r} is not an IAM policy ARN")
        return PermissionsBoundaryRef(managed_policy_arn=arn)
    return PermissionsBoundaryRef(customer_managed_policy=_policy_ref(reference,
                                                                      f"{where}.CustomerManagedPolicyReference"))


def _instance(raw: dict[str, Any]) -> IdentityCenterInstance:
    return IdentityCenterInstance(
        instance_arn=_arn(raw, "instance_arn", "sso"), identity_store_id=_text(raw, "identity_store_id"),
        owner_account_id=_account(raw, "owner_account_id", required=False),
        region=_optional_text(raw, "region", None))


def _user(raw: dict[str, Any]) -> IdentityCenterUser:
    return IdentityCenterUser(
        identity_store_id=_text(raw, "identity_store_id"), user_id=_text(raw, "user_id"),
        user_name=_text(raw, "user_name"), display_name=_optional_text(raw, "display_name") or "",
        emails=_emails(raw), external_ids=_external_ids(raw))


def _group(raw: dict[str, Any]) -> IdentityCenterGroup:
    return IdentityCenterGroup(
        identity_store_id=_text(raw, "identity_store_id"), group_id=_text(raw, "group_id"),
        display_name=_optional_text(raw, "display_name") or "", external_ids=_external_ids(raw))


def _membership(raw: dict[str, Any]) -> GroupMembership:
    return GroupMembership(identity_store_id=_text(raw, "identity_store_id"), group_id=_text(raw, "group_id"),
                           user_id=_text(raw, "user_id"))


def _assignment(raw: dict[str, Any]) -> AccountAssignment:
    principal_type = raw.get("principal_type")
    if principal_type not in PRINCIPAL_TYPES:
        raise _Invalid(".principal_type", f"expected USER or GROUP, got {principal_type!r}"
                       if isinstance(principal_type, str) else f"expected USER or GROUP, got {_shape(principal_type)}")
    return AccountAssignment(
        instance_arn=_arn(raw, "instance_arn", "sso"), account_id=_account(raw, "account_id", required=True) or "",
        permission_set_arn=_arn(raw, "permission_set_arn", "sso"), principal_type=principal_type,
        principal_id=_text(raw, "principal_id"))


@dataclass
class IdentityCenterRead:
    """What reading one document gave: the data (None: the document was rejected), its diagnostics, and how many
    of what were skipped (the LoadReport's `skipped` counters)."""

    data: IdentityCenter | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.result = IdentityCenterRead(None)
        self.missing: list[str] = []
        self._at = "$"  # the entry being read, for problems found inside it (an inline policy's)

    def error(self, location: str, message: str, skipped: str | None = None) -> None:
        self.result.diagnostics.append(Diagnostic("error", self.path, location, message))
        if skipped:
            self.result.skipped[skipped] += 1

    def warning(self, location: str, message: str) -> None:
        self.result.diagnostics.append(Diagnostic("warning", self.path, location, message))

    def section(self, value: dict[str, Any], key: str, read: Callable[[dict[str, Any]], T],
                key_of: Callable[[T], object]) -> list[T]:
        """The entries of `value[key]` that can be read; two entries of one key in a file: the later one."""
        entries = value.get(key)
        if entries is None:
            return []
        if not isinstance(entries, list):
            self.error(f"$.{key}", f"expected a list, got {_shape(entries)}", skipped=SKIPPED)
            self.missing.append(f"the {key.replace('_', ' ')} are unreadable")
            return []
        out: dict[object, T] = {}
        skipped = 0
        for i, raw in enumerate(entries):
            at = self._at = f"$.{key}[{i}]"
            try:
                if not isinstance(raw, dict):
                    raise _Invalid("", f"expected an object, got {_shape(raw)}")
                entry = read(raw)
            except _Invalid as exc:
                self.error(at + exc.where, f"{key}[{i}]{exc.where}: {exc.message}; entry skipped", skipped=SKIPPED)
                skipped += 1
                continue
            except (RecursionError, MemoryError):
                self.error(at, f"{key}[{i}]: nested too deeply to read; entry skipped", skipped=SKIPPED)
                skipped += 1
                continue
            out.pop(key_of(entry), None)  # re-inserted: the later entry, in its place in the file
            out[key_of(entry)] = entry
        if skipped:
            self.missing.append(f"{skipped} of the {key.replace('_', ' ')} could not be read")
        return list(out.values())

    def permission_set(self, raw: dict[str, Any]) -> PermissionSet:
        managed: list[str] = []
        listed, references = _list(raw, "managed_policies"), _list(raw, "customer_managed_policies")
        if len(listed) + len(references) > PERMISSION_SET_POLICIES.limit:
            raise _Invalid(".customer_managed_policies" if references else ".managed_policies",
                           PERMISSION_SET_POLICIES.refusal(len(listed) + len(references),
                                                           f"permission set {_name_of(raw)}"))
        for i, arn in enumerate(listed):
            parsed = parse_arn(arn) if isinstance(arn, str) else None
            if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("policy/"):
                raise _Invalid(f".managed_policies[{i}]", f"{arn!r} is not an IAM policy ARN")
            managed.append(arn)
        customer = tuple(_policy_ref(item, f".customer_managed_policies[{i}]") for i, item in enumerate(references))
        entry = PermissionSet(
            instance_arn=_arn(raw, "instance_arn", "sso"), permission_set_arn=_arn(raw, "permission_set_arn", "sso"),
            name=_text(raw, "name"), session_duration=_optional_text(raw, "session_duration", None),
            managed_policies=tuple(managed), customer_managed_policies=customer,
            permissions_boundary=_boundary(raw))
        inline, unreadable = self.inline_policy(raw.get("inline_policy"), entry.name)
        if inline is None and raw.get("inline_policy_unreadable") is True:
            # The collection could not read it (the file's `missing` says why): what it grants is unknown.
            unreadable = True
            self.missing.append(f"the inline policy of permission set {entry.name} is unreadable")
        if inline is None and not unreadable:
            return entry
        return PermissionSet(entry.instance_arn, entry.permission_set_arn, entry.name, entry.session_duration,
                             entry.managed_policies, entry.customer_managed_policies, inline, unreadable,
                             entry.permissions_boundary)

    def inline_policy(self, raw: Any, name: str) -> tuple[PolicyDocument | None, bool]:
        """The parsed inline policy (None and "" mean none: AWS returns "" for a permission set without one), and
        whether one is there but unreadable. Problems are reported where the entry being read is."""
        if raw is None or raw == "":
            return None, False
        where = f"{self._at}.inline_policy"
        length = PERMISSION_SET_INLINE_POLICY.excess(raw if isinstance(raw, str) else repr(raw))
        if length is not None:
            self.error(where, PERMISSION_SET_INLINE_POLICY.refusal(length, name) + "; what it grants is unknown",
                       skipped="policy documents")
            self.missing.append(f"the inline policy of permission set {name} is unreadable")
            return None, True
        document, problems = parse_policy(raw, where)
        for problem in problems:
            if document is None:
                self.error(problem.location, f"the inline policy of permission set {name} cannot be read: "
                           f"{problem.message}; what it grants is unknown", skipped="policy documents")
            elif problem.message.startswith("invalid statement"):
                self.error(problem.location, problem.message, skipped="policy statements")
            else:
                self.warning(problem.location, problem.message)
        if document is None:
            self.missing.append(f"the inline policy of permission set {name} is unreadable")
            return None, True
        return document, False

    def read(self, value: object) -> IdentityCenterRead:
        if not isinstance(value, dict):
            self.error("$", f"an Identity Center document must be a JSON object, got {_shape(value)}: file not read",
                       skipped="Identity Center files")
            return self.result
        if value.get("schema") != SCHEMA:
            self.error("$.schema", f"unsupported Identity Center schema {value.get('schema')!r} (this version reads "
                       f"{SCHEMA}): file not read", skipped="Identity Center files")
            return self.result
        instances = self.section(value, "instances", _instance, lambda e: e.instance_arn)
        users = self.section(value, "users", _user, lambda e: (e.identity_store_id, e.user_id))
        groups = self.section(value, "groups", _group, lambda e: (e.identity_store_id, e.group_id))
        memberships = self.section(value, "group_memberships", _membership, lambda e: e)
        permission_sets = self.section(value, "permission_sets", self.permission_set, lambda e: e.permission_set_arn)
        assignments = self.section(value, "account_assignments", _assignment, lambda e: e)
        delegated = value.get("delegated_admin_account_id")
        if delegated is not None and not (isinstance(delegated, str) and ACCOUNT_ID.match(delegated)):
            self.warning("$.delegated_admin_account_id", f"{delegated!r} is not a 12-digit account id: ignored")
            delegated = None
        missing = value.get("missing")
        if isinstance(missing, list):
            told = [str(m) for m in missing if isinstance(m, str | int | float) and not isinstance(m, bool)]
        else:
            if missing is not None:
                self.warning("$.missing", f"expected a list of strings, got {_shape(missing)}: ignored")
            told = []
        complete = value.get("complete")
        if complete is not True and not told:
            told = ["the file does not say it is complete" if complete is not False
                    else "the file says it is not complete"]
        gaps = told if complete is not True else []
        self.result.data = IdentityCenter(
            instances=tuple(instances), users=tuple(users), groups=tuple(groups),
            group_memberships=tuple(memberships), permission_sets=tuple(permission_sets),
            account_assignments=tuple(assignments), delegated_admin_account_id=delegated,
            complete=complete is True and not self.missing, missing=tuple([*gaps, *self.missing]))
        return self.result



def read_identity_center_document(data: object, path: str) -> IdentityCenterRead:
    """Read one document; never raises."""
    reader = _Reader(path)
    try:
        return reader.read(data)
    except (RecursionError, MemoryError):
        reader.result.data = None
        reader.error("$", "nested too deeply to read: file not read", skipped="Identity Center files")
        return reader.result


def read_identity_center(data: object, path: str) -> tuple[IdentityCenter | None, list[Diagnostic]]:
    """The Identity Center data of one document (None when the document is rejected) and its diagnostics."""
    read = read_identity_center_document(data, path)
    return read.data, read.diagnostics
