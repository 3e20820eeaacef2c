"""The caller directory keeps one copy of what principals have in common (docs/performance.md, "Where the memory
goes"): the sourced statements of a policy attached to many principals, and the (resource, ARN) pairs an ARN
pattern is looked up in, per account and for the organization."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from trustgraph import load_inputs
from trustgraph.graph.callers import CallerDirectory
from trustgraph.policy.identity import build_profile

ACME = Path(__file__).resolve().parents[2] / "samples" / "acme"


def _directory() -> CallerDirectory:
    snapshot, _ = load_inputs([ACME])
    return CallerDirectory(snapshot)


def test_principals_with_one_policy_share_its_statements() -> None:
    d = _directory()
    attached = Counter(arn for p in d.principals.values() for arn in p.attached_policy_arns
                       if arn in d.snapshot.managed_policies)
    policy, count = attached.most_common(1)[0]
    assert count >= 2
    holders = [arn for arn, p in sorted(d.principals.items()) if policy in p.attached_policy_arns][:2]
    name = d.snapshot.managed_policies[policy].name
    statements = []
    for arn in holders:
        profile = d.profile(arn)
        assert profile is not None
        statements.append([s for s in profile.statements if s.source == f"managed policy {name}"])
    assert statements[0] and all(a is b for a, b in zip(*statements, strict=True))
    # control: built alone (no shared table), equal statements are objects of their own
    alone = build_profile(d.principals[holders[0]], d.snapshot)
    mine = [s for s in alone.statements if s.source == f"managed policy {name}"]
    assert mine == statements[0] and not any(a is b for a, b in zip(mine, statements[0], strict=True))


def test_account_lookups_share_the_organizations_pairs() -> None:
    d = _directory()
    everyone = {id(pair) for pair in d._by_resource}
    for account in sorted(d.by_account):
        keys, pairs = d._resources_of(account)
        # what each account's lookup held before: its principals' pairs, sorted, built apart
        apart = sorted((arn.split(":", 5)[5], arn) for arn in d.by_account[account])
        assert pairs == apart and keys == [r for r, _ in apart]
        assert all(id(pair) in everyone for pair in pairs)
        assert not any(id(pair) in everyone for pair in apart)  # control: the ones built apart are copies
    assert d._resources_of("000000000000") == ([], [])
