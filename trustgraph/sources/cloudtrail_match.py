"""Which CloudTrail events are role assumptions, who made them, and their aggregation (docs/usage.md).

Pure: an event dict in, a `Match` (or None, or `BadEvent`) out; `UsageCollector` folds matches into one
`Observation` per (caller, role, action, outcome) as events stream by, so that memory grows with the distinct
caller → role pairs seen, never with the events. No I/O, no policy evaluation.

AWS pages: the userIdentity element
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html),
the record contents (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
and the STS events IAM logs (https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from trustgraph.arns import ACCOUNT_ID, parse_arn, root_arn
from trustgraph.model import Observation, Usage, UseEvidence

STS_SOURCE = "sts.amazonaws.com"
ASSUME_EVENTS = frozenset({"AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity"})
# Web identity providers STS knows without an IAM OIDC provider: the trust names the host, and so does the graph.
BUILT_IN_WEB_IDENTITY = frozenset({"accounts.google.com", "graph.facebook.com", "www.amazon.com",
                                   "cognito-identity.amazonaws.com"})
SUBJECTS_KEPT = 5  # subjects of a SAML / web identity observation kept as examples


class BadEvent(ValueError):
    """An event that cannot be read: `where` is a JSON location inside the event."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(slots=True)
class Match:
    caller: str
    caller_type: str
    caller_id: str
    caller_account: str
    target: str
    action: str
    error: str
    time: str
    subject: str
    session: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def match_event(event: Any) -> Match | None:
    """The role assumption an event records, None for any other event; `BadEvent` for an assumption the event
    does not say enough about (no role, no caller, no time)."""
    if not isinstance(event, dict):
        raise BadEvent("", f"event is a JSON {type(event).__name__}, not an object")
    action = event.get("eventName")
    if event.get("eventSource") != STS_SOURCE or action not in ASSUME_EVENTS:
        return None
    return match_assumption(event, action)


def match_assumption(event: dict[str, Any], action: str) -> Match:
    """`match_event` of an event already known to be an STS role assumption named `action`."""
    time = _text(event.get("eventTime"))
    if not time[:4].isdigit():
        raise BadEvent(".eventTime", f"{action} event without an eventTime")
    params = event.get("requestParameters")
    target = _text(params.get("roleArn")) if isinstance(params, dict) else ""
    role_account = _role_account(target)
    if role_account is None:
        raise BadEvent(".requestParameters.roleArn", f"{action} event without a role ARN (got {target!r})")
    identity = event.get("userIdentity")
    if not isinstance(identity, dict):
        raise BadEvent(".userIdentity", f"{action} event without a userIdentity")
    caller, caller_id, caller_account, subject, session = _caller(identity, action, params, role_account)
    if not caller:
        raise BadEvent(".userIdentity", f"{action} event whose userIdentity names no caller "
                       f"(type {identity.get('type')!r})")
    return Match(caller, _text(identity.get("type")), caller_id, caller_account, target, action,
                 _text(event.get("errorCode")), time, subject, session)


@lru_cache(maxsize=1 << 16)
def _role_account(target: str) -> str | None:
    """The account of a role ARN, None when `target` is not one. Memoized: a log names the same few roles over
    and over."""
    arn = parse_arn(target) if target else None
    if arn is None or arn.service != "iam" or not arn.resource.startswith("role/"):
        return None
    return arn.account


def _caller(identity: dict[str, Any], action: str, params: Any,
            role_account: str) -> tuple[str, str, str, str, str]:
    """(caller node, unique id, account, subject, session ARN) of a userIdentity."""
    get = identity.get
    kind, arn, account, principal_id = get("type"), get("arn"), get("accountId"), get("principalId")
    # most values are strings: check the type rather than call `_text` (this runs once per assumption)
    kind = kind if type(kind) is str else ""
    arn = arn if type(arn) is str else ""
    account = account if type(account) is str else ""
    principal_id = principal_id if type(principal_id) is str else ""
    if kind == "AssumedRole":
        # A session is drawn as its role: the role holding it is the session issuer.
        context = get("sessionContext")
        issuer = context.get("sessionIssuer") if type(context) is dict else None
        issuer_arn = _text(issuer.get("arn")) if type(issuer) is dict else ""
        if issuer_arn:
            return issuer_arn, principal_id.split(":", 1)[0], account, "", arn
        parsed = parse_arn(arn)
        if parsed and parsed.resource.startswith("assumed-role/") and parsed.resource.count("/") >= 2:
            # no issuer (older events): the role's name without its path, resolved against the data later
            return f"arn:{parsed.partition}:iam::{parsed.account}:role/{parsed.resource.split('/')[1]}", \
                principal_id.split(":", 1)[0], parsed.account, "", arn
        return "", "", account, "", arn
    if kind in ("IAMUser", "Root"):
        return arn or (root_arn(account) if ACCOUNT_ID.match(account) else ""), principal_id, account, "", ""
    if kind in ("SAMLUser", "WebIdentityUser") or action != "AssumeRole":
        subject = _text(identity.get("userName")) or principal_id
        provider = _text(params.get("principalArn")) if isinstance(params, dict) else ""
        provider = provider or _text(identity.get("identityProvider"))
        if provider and not provider.startswith("arn:") and provider not in BUILT_IN_WEB_IDENTITY:
            # an OIDC issuer host: the IAM OIDC provider of the role's account holds it
            provider = f"arn:aws:iam::{role_account}:oidc-provider/{provider}"
        return provider, "", "", subject, ""
    if kind == "AWSService":
        return _text(identity.get("invokedBy")), "", "", "", ""
    if kind == "AWSAccount":
        # The role owner's copy of a cross-account call: the caller's account and unique id, no ARN.
        unique = principal_id.split(":", 1)[0]
        return (root_arn(account) if ACCOUNT_ID.match(account) else ""), \
            unique if unique[:4] in ("AROA", "AIDA") else "", account, "", ""
    return arn or (root_arn(account) if ACCOUNT_ID.match(account) else ""), principal_id, account, "", arn


@dataclass(slots=True)
class _Aggregate:
    first: str
    last: str
    # what the latest event says, made into a UseEvidence once at the end: (event id, source IP, user agent,
    # recipient account, source, where (a location, or a log file's record index), session)
    evidence: tuple[str, str, str, str, str, str | int, str]
    subjects: list[str] | None  # made on the first subject: most observations have none
    # copy (where the record was delivered) → day → calls: two records of one call (a cross-account call logged
    # in both accounts, an organization trail beside an account's own) are folded by taking, per day, the
    # largest count of any copy, so duplicates never count twice without remembering every event id.
    days: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(slots=True)
class _Lookup:
    """The LookupEvents reads of one account: the regions it has enabled, and the period each region was read
    completely."""

    wanted: set[str] = field(default_factory=set)
    regions_known: bool = True
    read: dict[str, tuple[str, str]] = field(default_factory=dict)
    incomplete: set[str] = field(default_factory=set)

    def period(self) -> tuple[str, str] | None:
        """The period every enabled region was read in, None unless each of them was read to the end."""
        if not self.regions_known or not self.wanted or not self.wanted <= self.read.keys() or \
                self.wanted & self.incomplete:
            return None
        start = max(self.read[r][0] for r in self.wanted)
        end = min(self.read[r][1] for r in self.wanted)
        return (start, end) if start <= end else None


class UsageCollector:
    """Observations folded as events stream by. `add` returns the BadEvent of an unreadable event (the caller
    reports it, located) and otherwise None.

    Most events are not role assumptions: for them the work is two lookups (`eventSource`, `eventName`) and the
    coverage span, with nothing allocated."""

    def __init__(self) -> None:
        self._aggregates: dict[tuple[str, str, str, str, str, str, str], _Aggregate] = {}
        self._coverage: dict[str, list[str]] = {}
        self._lookups: dict[str, _Lookup] = {}
        # one copy of each string an observation keeps (roles, callers, accounts, days, delivery copies, user
        # agents): few distinct values, repeated in every observation
        self._shared: dict[str, str] = {}
        self.events = 0
        self.files = 0

    def add(self, event: Any, copy: str, source: str, where: str, account_hint: str = "",
            cover: bool = True) -> BadEvent | None:
        """Fold one event. `copy`: where this record was delivered (a trail's bucket prefix, a directory), so that
        two records of one call count once; `where`: its location in `source`; `account_hint`: the account the
        delivery path names, for events without recipientAccountId; `cover`: whether its time widens its
        account's coverage (not for events of a lookup, whose period is declared: `declare`)."""
        self.events += 1
        return self._fold(event, copy, source, where, account_hint, cover=cover)

    def declare(self, account: str, region: str, regions: list[str] | None, start: str, end: str,
                complete: bool) -> None:
        """A LookupEvents read of one region (`collect --cloudtrail-days`): `regions` are every region enabled for
        the account (None: not known). The account is covered from `start` to `end` only when every one of them
        was read to the end (`finish`); otherwise the lookup covers nothing."""
        lookup = self._lookups.setdefault(account, _Lookup())
        if regions is None:
            lookup.regions_known = False
        else:
            lookup.wanted.update(regions)
        if complete:
            lookup.read[region] = (start, end)
        else:
            lookup.incomplete.add(region)

    def add_records(self, events: Iterable[Any], copy: str, source: str,
                    account_hint: str = "") -> Iterator[tuple[int, BadEvent]]:
        """Fold the records of one log file (as `add`, each located `$.Records[i]`); yields (i, BadEvent) of each
        unreadable one."""
        fold = self._fold
        coverage = self._coverage
        sts, assume = STS_SOURCE, ASSUME_EVENTS
        i = -1
        try:
            for i, event in enumerate(events):
                if type(event) is not dict:
                    bad = fold(event, copy, source, i, account_hint)  # match_event says what it is
                elif event.get("eventSource") == sts and (action := event.get("eventName")) in assume:
                    bad = fold(event, copy, source, i, account_hint, action)
                else:
                    # not a role assumption: only its time counts (as in `_cover`, inlined: most events are these)
                    time = event.get("eventTime")
                    if type(time) is not str:
                        continue
                    account = event.get("recipientAccountId")
                    if type(account) is not str or not account:
                        account = account_hint
                        if not account:
                            continue
                    span = coverage.get(account)
                    if span is None or time < span[0] or time > span[1]:
                        self._widen(account, time)
                    continue
                if bad is not None:
                    yield i, bad
        finally:
            self.events += i + 1

    def _fold(self, event: Any, copy: str, source: str, where: str | int, account_hint: str,
              action: str | None = None, cover: bool = True) -> BadEvent | None:
        """`where`: a location, or a record index (the location made only when evidence is kept); `action`: the
        event's name when it is known to be an STS role assumption (not asked again)."""
        try:
            found = match_event(event) if action is None else match_assumption(event, action)
        except BadEvent as exc:
            self._cover(event, account_hint, cover)
            return exc
        recipient = self._cover(event, account_hint, cover)
        if found is None:
            return None
        time = found.time
        key = (found.caller, found.caller_type, found.caller_id, found.caller_account, found.target, found.action,
               found.error)
        aggregate = self._aggregates.get(key)
        shared = self._shared.setdefault
        if aggregate is None or time >= aggregate.last:
            get = event.get
            event_id, source_ip, user_agent = get("eventID"), get("sourceIPAddress"), get("userAgent")
            user_agent = user_agent if type(user_agent) is str else ""
            evidence = (event_id if type(event_id) is str else "", source_ip if type(source_ip) is str else "",
                        shared(user_agent, user_agent), shared(recipient, recipient), source, where, found.session)
            if aggregate is None:
                # kept until the end: its strings are shared with the other observations naming the same role,
                # caller, account (a parsed event's strings are its own copies, about 500 bytes an observation)
                key = (shared(key[0], key[0]), shared(key[1], key[1]), shared(key[2], key[2]),
                       shared(key[3], key[3]), shared(key[4], key[4]), shared(key[5], key[5]), shared(key[6], key[6]))
                aggregate = self._aggregates[key] = _Aggregate(time, time, evidence, None)
            else:
                aggregate.last, aggregate.evidence = time, evidence
        elif time < aggregate.first:
            aggregate.first = time
        subject = found.subject
        if subject:
            subjects = aggregate.subjects
            if subjects is None:
                aggregate.subjects = [subject]
            elif subject not in subjects and len(subjects) < SUBJECTS_KEPT:
                subjects.append(subject)
        days = aggregate.days.get(copy_key := f"{copy}|{recipient}")
        if days is None:
            days = aggregate.days[shared(copy_key, copy_key)] = {}
        day = time[:10]
        count = days.get(day)
        if count is None:
            days[shared(day, day)] = 1
        else:
            days[day] = count + 1
        return None

    def _cover(self, event: Any, account_hint: str, cover: bool = True) -> str:
        if type(event) is not dict:
            return account_hint
        recipient = event.get("recipientAccountId")
        account = recipient if type(recipient) is str and recipient else account_hint
        time = event.get("eventTime")
        if cover and account and type(time) is str:
            span = self._coverage.get(account)
            if span is None or time < span[0] or time > span[1]:
                self._widen(account, time)
        return account

    def _widen(self, account: str, time: str) -> None:
        # Called only for a time outside the account's span: one inside leaves it as it is, so only a time that
        # would widen it needs checking that it is one.
        if not time[:4].isdigit():
            return
        span = self._coverage.get(account)
        if span is None:
            self._coverage[account] = [time, time]
        elif time < span[0]:
            span[0] = time
        elif time > span[1]:
            span[1] = time

    def _in_order(self) -> list[tuple[tuple[str, str, str, str, str, str, str], _Aggregate]]:
        """The aggregates in the order of their keys. Keys joined with NUL sort as the tuples do (a field that is
        a prefix of the other's sorts first either way) unless a field holds a NUL itself, and compare several
        times faster than tuples field by field (there is one key per caller → role pair)."""
        items = list(self._aggregates.items())
        joined = ["\0".join(key) for key in self._aggregates]
        if any(text.count("\0") != 6 for text in joined):
            return sorted(items)
        order = sorted(range(len(items)), key=joined.__getitem__)
        return [items[i] for i in order]

    def finish(self) -> Usage:
        """The observations and coverage folded so far. Called once: it hands the observations over (the
        collector is left empty)."""
        observations = []
        items = self._in_order()
        items.reverse()
        self._aggregates = {}
        self._shared = {}
        while items:
            # popped one by one, so each aggregate is freed as its observation is made (peak: not both at once)
            (caller, caller_type, caller_id, caller_account, target, action, error), agg = items.pop()
            if len(agg.days) == 1:
                (copy, days), = agg.days.items()
                if len(days) == 1:
                    (day, count), = days.items()
                    spread: tuple[tuple[str, str, int], ...] = ((copy, day, count),)
                else:
                    count = sum(days.values())
                    spread = tuple((copy, day, n) for day, n in sorted(days.items()))
            else:
                per_day: dict[str, int] = {}
                for days in agg.days.values():
                    for day, n in days.items():
                        per_day[day] = max(per_day.get(day, 0), n)
                count = sum(per_day.values())
                spread = tuple((copy, day, n) for copy, days in sorted(agg.days.items())
                               for day, n in sorted(days.items()))
            event_id, source_ip, user_agent, recipient, source, where, session = agg.evidence
            evidence = UseEvidence(agg.last, event_id, source_ip, user_agent, recipient,
                                   f"{source} $.Records[{where}]" if isinstance(where, int) else f"{source} {where}",
                                   session)
            observations.append(Observation(caller, caller_type, target, action, error, agg.first, agg.last, count,
                                            evidence, caller_id, caller_account,
                                            tuple(agg.subjects) if agg.subjects else (), spread))
        for account, lookup in self._lookups.items():
            period = lookup.period()
            if period is not None:
                self._widen(account, period[0])
                self._widen(account, period[1])
        coverage = {account: (span[0], span[1]) for account, span in sorted(self._coverage.items())}
        return Usage(observations, coverage, self.events, self.files)
