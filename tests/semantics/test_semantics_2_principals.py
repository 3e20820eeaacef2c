"""SEMANTICS §2: every form of the Principal element and its matching rules."""

from __future__ import annotations

from builders import (
    A,
    Account,
    B,
    build,
    callers,
    can_assume,
    doc,
    edge,
    no_edge,
    problems,
    trust,
    trust_stmt,
    unconditional,
)

# -- the forms of the table ---------------------------------------------------------------------------


def test_rule_2_user_principal_matches_exactly_that_user():
    a = Account(A)
    alice = a.user("alice")
    a.user("alicia")
    target = a.role("Target", trust(alice))
    g = build(a)
    assert callers(g, target) == {alice}
    assert edge(g, alice, target)["evidence"][0]["principal_form"] == "user"


def test_rule_2_user_principal_name_is_case_sensitive():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(a.arn("user", "Alice")))
    control = a.role("Control", trust(a.arn("user", "alice")))  # positive control: the exact name
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, alice, control)


def test_rule_2_user_principal_arn_includes_the_path():
    a = Account(A)
    alice = a.user("alice", path="/eng/")
    without_path = a.role("WithoutPath", trust(a.arn("user", "alice")))
    with_path = a.role("WithPath", trust(alice))
    g = build(a)
    no_edge(g, alice, without_path)
    unconditional(g, alice, with_path)


def test_rule_2_role_principal_matches_every_session_of_that_role_and_includes_the_path():
    a = Account(A)
    worker = a.role("Worker", trust(), path="/ci/")
    by_arn = a.role("ByArn", trust(worker))
    pathless = a.role("Pathless", trust(a.arn("role", "Worker")))
    g = build(a)
    data = unconditional(g, worker, by_arn)
    assert data["evidence"][0]["principal_form"] == "role"
    no_edge(g, worker, pathless)


def test_rule_2_session_principal_matches_the_role_and_its_arn_has_no_path():
    a = Account(A)
    worker = a.role("Worker", trust(), path="/ci/")
    target = a.role("Target", trust(f"arn:aws:sts::{A}:assumed-role/Worker/deploy-session"))
    g = build(a)
    data = unconditional(g, worker, target)  # drawn as the role node, which carries the path
    assert data["evidence"][0]["principal_form"] == "session"
    assert "deploy-session" in data["evidence"][0]["reason"]


def test_rule_2_session_principal_of_another_account_does_not_match_same_named_role():
    a, b = Account(A), Account(B)
    worker = a.role("Worker", trust(), policies=can_assume("*"))
    b_worker = b.role("Worker", trust(), policies=can_assume("*"))
    target = a.role("Target", trust(f"arn:aws:sts::{B}:assumed-role/Worker/s1"))
    g = build(a, b)
    no_edge(g, worker, target)
    unconditional(g, b_worker, target)


def test_rule_2_session_principal_allows_no_wildcard():
    a = Account(A)
    worker = a.role("Worker", trust())
    target = a.role("Target", trust(f"arn:aws:sts::{A}:assumed-role/Worker/*"))
    g = build(a)
    no_edge(g, worker, target)
    assert any("partial wildcards" in m for m in problems(g, target))


def test_rule_2_federated_user_session_never_matches():
    a = Account(A)
    target = a.role("Target", trust(f"arn:aws:sts::{A}:federated-user/bob"))
    g = build(a)
    assert callers(g, target) == set()
    assert any("GetFederationToken" in m for m in problems(g, target))


def test_rule_2_unique_id_matches_the_live_principal_with_that_id():
    a = Account(A)
    worker = a.role("Worker", trust(), role_id="AROAEXAMPLEWORKER0001")
    target = a.role("Target", trust("AROAEXAMPLEWORKER0001"))
    g = build(a)
    data = unconditional(g, worker, target)
    assert data["evidence"][0]["principal_form"] == "unique-id"


def test_rule_2_unique_id_of_deleted_principal_never_matches_recreated_one():
    a = Account(A)
    # Worker was deleted and re-created: same name and ARN, new unique id. IAM kept the old id in the trust.
    worker = a.role("Worker", trust(), role_id="AROANEWIDAFTERRECREATE1", policies=can_assume("*"))
    alice = a.user("alice", user_id="AIDANEWIDAFTERRECREATE1", policies=can_assume("*"))
    target = a.role("Target", trust(["AROAOLDIDOFDELETEDROLE1", "AIDAOLDIDOFDELETEDUSER1"]))
    g = build(a)
    no_edge(g, worker, target)
    no_edge(g, alice, target)
    # The deleted principal stays visible as an unknown node: missing data is not a deny.
    assert g.nodes["AROAOLDIDOFDELETEDROLE1"]["kind"] == "unknown"
    assert "deleted principal" in edge(g, "AROAOLDIDOFDELETEDROLE1", target)["evidence"][0]["reason"]


def test_rule_2_everyone_same_account_needs_nothing_more():
    a = Account(A)
    alice = a.user("alice")
    worker = a.role("Worker", trust())
    target = a.role("Target", trust("*"))
    g = build(a)
    for caller in (alice, worker):
        data = unconditional(g, caller, target)
        assert data["scope"] == "same-account"
        assert data["evidence"][0]["principal_form"] == "public"


def test_rule_2_everyone_cross_account_needs_the_callers_own_allow():
    a, b = Account(A), Account(B)
    target = a.role("Target", trust("*"))
    bob = b.user("bob", policies=can_assume(target))
    carol = b.user("carol")
    g = build(a, b)
    assert edge(g, bob, target)["scope"] == "cross-account"
    no_edge(g, carol, target)
    # Anyone outside the data grants itself the Allow: the public stand-in reaches the role.
    assert g.nodes["*"]["kind"] == "public"
    assert edge(g, "*", target)["scope"] == "public"


def test_rule_2_bare_star_principal_read_as_aws_star_and_reported_invalid():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt("*")))
    g = build(a)
    unconditional(g, alice, target)
    unconditional(g, "*", target)
    assert any("not supported" in m and "Principal" in m for m in problems(g, target))


def test_rule_2_service_principal_is_the_service_and_never_a_user_or_role():
    a = Account(A)
    alice = a.user("alice", policies=can_assume("*"))
    target = a.role("Target", trust({"Service": ["ec2.amazonaws.com", "states.us-east-1.amazonaws.com"]}))
    g = build(a)
    assert callers(g, target) == {"ec2.amazonaws.com", "states.us-east-1.amazonaws.com"}
    data = unconditional(g, "ec2.amazonaws.com", target)
    assert (data["kind"], data["scope"]) == ("service", "service")
    assert g.nodes["ec2.amazonaws.com"]["kind"] == "service"
    no_edge(g, alice, target)


def test_rule_2_service_principal_is_exact_and_case_sensitive():
    a = Account(A)
    target = a.role("Target", trust({"Service": "EC2.amazonaws.com"}))
    g = build(a)
    assert callers(g, target) == {"EC2.amazonaws.com"}
    assert "ec2.amazonaws.com" not in g


def test_rule_2_saml_provider_principal_uses_assume_role_with_saml():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:saml-provider/Okta"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRoleWithSAML",
                                    condition={"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}))
    g = build(a)
    data = edge(g, idp, target)
    assert (data["kind"], data["scope"]) == ("saml", "federated")
    assert data["evidence"][0]["action"] == "sts:AssumeRoleWithSAML"
    assert g.nodes[idp]["kind"] == "federated"
    assert g.nodes[idp]["provider_type"] == "saml"


def test_rule_2_oidc_provider_principal_uses_assume_role_with_web_identity():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRoleWithWebIdentity"))
    g = build(a)
    data = unconditional(g, idp, target)
    assert (data["kind"], data["scope"]) == ("web-identity", "federated")
    assert g.nodes[idp]["provider_type"] == "oidc"


def test_rule_2_built_in_web_identity_providers_are_bare_host_names():
    a = Account(A)
    hosts = ["cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com"]
    target = a.role("Target", trust({"Federated": hosts}, "sts:AssumeRoleWithWebIdentity"))
    g = build(a)
    assert callers(g, target) == set(hosts)
    for host in hosts:
        assert edge(g, host, target)["kind"] == "web-identity"
        assert g.nodes[host]["provider_type"] == "web-identity"


def test_rule_2_unknown_bare_federated_host_matches_nothing():
    a = Account(A)
    target = a.role("Target", trust({"Federated": "login.example.com"}, "sts:AssumeRoleWithWebIdentity"))
    g = build(a)
    assert callers(g, target) == set()
    assert any("neither a SAML/OIDC provider" in m for m in problems(g, target))


def test_rule_2_canonical_user_never_matches_in_a_trust_policy():
    a = Account(A)
    canonical = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
    target = a.role("Target", trust({"CanonicalUser": canonical}))
    g = build(a)
    assert callers(g, target) == set()
    assert any("S3-only" in m for m in problems(g, target))


# -- matching rules --------------------------------------------------------------------------------------


def test_rule_2_1_principal_list_means_or():
    a = Account(A)
    alice, bob = a.user("alice"), a.user("bob")
    carol = a.user("carol")
    target = a.role("Target", trust([alice, bob]))
    g = build(a)
    assert callers(g, target) == {alice, bob}
    no_edge(g, carol, target)


def test_rule_2_1_several_principal_types_combine_with_or():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust({"AWS": alice, "Service": "lambda.amazonaws.com"}))
    g = build(a)
    assert callers(g, target) == {alice, "lambda.amazonaws.com"}
    assert edge(g, alice, target)["kind"] == "assume"
    assert edge(g, "lambda.amazonaws.com", target)["kind"] == "service"


def test_rule_2_2_partial_wildcard_principal_matches_nothing_and_is_reported():
    a = Account(A)
    ci = a.role("ci-runner", trust(), policies=can_assume("*"))
    alice = a.user("alice", policies=can_assume("*"))
    target = a.role("Target", trust([a.arn("role", "ci-*"), f"arn:aws:iam::{A}:user/ali?e"]))
    g = build(a)
    no_edge(g, ci, target)
    no_edge(g, alice, target)
    assert callers(g, target) == set()
    msgs = problems(g, target)
    assert len([m for m in msgs if "partial wildcards" in m]) == 2


def test_rule_2_2_supported_wildcard_is_account_plus_arnlike_principal_arn():
    a = Account(A)
    ci = a.role("ci-runner", trust(), policies=can_assume("*"))
    other = a.role("other", trust(), policies=can_assume("*"))
    target = a.role("Target", trust(A, condition={"ArnLike": {"aws:PrincipalArn": a.arn("role", "ci-*")}}))
    g = build(a)
    unconditional(g, ci, target)
    no_edge(g, other, target)


def test_rule_2_3_groups_can_never_be_principals():
    a = Account(A)
    group = a.group("Admins")
    member = a.user("member", groups=["Admins"], policies=can_assume("*"))
    target = a.role("Target", trust(group))
    g = build(a)
    no_edge(g, member, target)
    assert callers(g, target) == set()
    assert any("not a principal" in m for m in problems(g, target))


def test_rule_2_4_notprincipal_statement_is_ignored_and_reported():
    a = Account(A)
    alice = a.user("alice")
    bob = a.user("bob")
    target = a.role("Target", doc(
        {"Effect": "Allow", "NotPrincipal": {"AWS": bob}, "Action": "sts:AssumeRole"},
        trust_stmt(bob)))
    g = build(a)
    no_edge(g, alice, target)
    unconditional(g, bob, target)
    assert any("NotPrincipal" in m for m in problems(g, target))


def test_rule_2_4_resource_in_trust_statement_is_ignored_and_reported():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice, Resource="*")))
    g = build(a)
    no_edge(g, alice, target)
    assert any("Resource/NotResource" in m for m in problems(g, target))


def test_rule_2_4_notresource_in_trust_statement_is_ignored_and_reported():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", doc(trust_stmt(alice, NotResource="arn:aws:s3:::x")))
    g = build(a)
    no_edge(g, alice, target)
    assert any("Resource/NotResource" in m for m in problems(g, target))


def test_rule_2_5_saml_provider_with_assume_role_is_a_mismatch():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:saml-provider/Okta"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRole"))
    g = build(a)
    no_edge(g, idp, target)
    assert any("mismatched action" in m and "sts:AssumeRoleWithSAML" in m for m in problems(g, target))


def test_rule_2_5_saml_provider_with_web_identity_is_a_mismatch():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:saml-provider/Okta"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRoleWithWebIdentity"))
    g = build(a)
    no_edge(g, idp, target)
    assert any("mismatched action" in m for m in problems(g, target))


def test_rule_2_5_oidc_provider_with_saml_action_is_a_mismatch():
    a = Account(A)
    idp = f"arn:aws:iam::{A}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    target = a.role("Target", trust({"Federated": idp}, "sts:AssumeRoleWithSAML"))
    g = build(a)
    no_edge(g, idp, target)
    assert any("mismatched action" in m and "sts:AssumeRoleWithWebIdentity" in m for m in problems(g, target))


def test_rule_2_5_aws_principal_with_federated_action_is_a_mismatch():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust(alice, "sts:AssumeRoleWithWebIdentity"))
    g = build(a)
    no_edge(g, alice, target)
    assert any("mismatched action" in m and "sts:AssumeRole" in m for m in problems(g, target))


def test_rule_2_6_trust_never_crosses_partitions_for_named_principals():
    a = Account(A)
    alice = a.user("alice")
    target = a.role("Target", trust([f"arn:aws-cn:iam::{A}:user/alice", f"arn:aws-us-gov:iam::{B}:root"]))
    control = a.role("Control", trust(f"arn:aws:iam::{A}:user/alice"))  # positive control: own partition
    g = build(a)
    no_edge(g, alice, target)
    assert callers(g, target) == set()
    unconditional(g, alice, control)


def test_rule_2_6_account_principal_of_another_partition_never_matches_collected_callers():
    a = Account(A)
    # Same 12 digits, other partition: a different account altogether.
    target = a.role("Target", trust(f"arn:aws-cn:iam::{A}:root"))
    dev = a.user("dev", policies=can_assume("*"))
    narrow = a.user("narrow", policies=can_assume(target))
    control = a.role("Control", trust(f"arn:aws:iam::{A}:root"))  # positive control: own partition
    g = build(a)
    no_edge(g, dev, target)
    no_edge(g, narrow, target)
    assert callers(g, target) == set()
    unconditional(g, dev, control)


def test_rule_2_6_principals_of_the_roles_own_partition_match():
    gov = Account(A, partition="aws-us-gov")
    dev = gov.user("dev", policies=can_assume("*"))
    alice = gov.user("alice")
    target = gov.role("Target", trust([gov.root, alice]))
    g = build(gov)
    unconditional(g, dev, target)
    unconditional(g, alice, target)


def test_rule_2_6_bare_account_id_means_the_account_in_the_roles_partition():
    gov = Account(A, partition="aws-us-gov")
    dev = gov.user("dev", policies=can_assume("*"))
    target = gov.role("Target", trust(B))
    local = gov.role("Local", trust(A))
    g = build(gov)
    unconditional(g, dev, local)
    assert edge(g, f"arn:aws-us-gov:iam::{B}:root", target)["scope"] == "cross-account"


def test_rule_2_6_everyone_and_web_identity_hosts_belong_to_the_roles_partition():
    gov = Account(A, partition="aws-us-gov")
    public = gov.role("Public", trust("*"))
    google = gov.role("Google", trust({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"))
    unique = gov.role("ByUniqueId", trust("AROAGOVWORKERROLE00001"))
    worker = gov.role("Worker", trust(), role_id="AROAGOVWORKERROLE00001")
    g = build(gov)
    assert edge(g, "*", public)["scope"] == "public"
    assert edge(g, "accounts.google.com", google)["kind"] == "web-identity"
    unconditional(g, worker, unique)


def test_rule_2_2_everyone_plus_principal_arn_condition_in_every_operator_form():
    a, b = Account(A), Account(B)
    ci = a.role("ci-runner", trust(), policies=can_assume("*"))
    blocked = a.role("blocked-job", trust(), policies=can_assume("*"))
    b_ci = b.role("ci-runner", trust(), policies=can_assume("*"))
    like = a.role("Like", trust("*", condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci-*"}}))
    not_like = a.role("NotLike", trust("*", condition={
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/blocked-*"}}))
    if_exists = a.role("IfExists", trust("*", condition={
        "ArnLikeIfExists": {"aws:PrincipalArn": f"arn:aws:iam::{A}:role/ci-*"}}))
    string_like = a.role("StringLike", trust("*", condition={
        "StringLike": {"aws:PrincipalArn": [f"arn:aws:iam::{B}:role/ci-?unner", "arn:aws:iam::*:user/*"]}}))
    g = build(a, b)
    assert callers(g, like) - {"*"} == {ci, b_ci}
    assert {ci, b_ci} <= callers(g, not_like) and blocked not in callers(g, not_like)
    assert callers(g, if_exists) - {"*"} == {ci}
    assert callers(g, string_like) - {"*"} == {b_ci}
    for target in (like, if_exists, string_like):
        no_edge(g, blocked, target)


# -- 0.1 values a template fills in are not evaluated (never "matches nothing") ---------------------------------


def _explained(*pieces):  # type: ignore[no-untyped-def]
    from builders import load

    from trustgraph.analysis.explain import explain_role

    snapshot, _ = load(*pieces)
    return snapshot, {arn: explain_role(role) for arn, role in snapshot.roles.items()}


def _words(explanation) -> str:  # type: ignore[no-untyped-def]
    return " | ".join([*explanation.warnings, *(w for s in explanation.statements for w in s.warnings),
                       *(p.meaning for s in explanation.statements for p in s.principals)])


def test_rule_0_1_template_placeholder_principal_is_not_evaluated_never_matches_nothing():
    a = Account(A)
    templated = a.role("Templated", trust("${var.aws_assume_role_arn}"))
    invalid = a.role("Invalid", trust("ACCOUNT-B-ID"))  # documentation text, not template syntax
    g = build(a)
    data = edge(g, "${var.aws_assume_role_arn}", templated)
    assert data["conditional"] is True and data["conditions"] == ["trustgraph:UnresolvedValue"]
    assert any("not evaluated" in n for n in data["evidence"][0]["notes"])
    assert problems(g, templated) == []
    assert g.nodes["${var.aws_assume_role_arn}"]["unresolved"] is True
    assert callers(g, invalid) == set() and problems(g, invalid)
    _, explained = _explained(a)
    assert "not evaluated" in _words(explained[templated]) and "nothing" not in _words(explained[templated])
    assert "nothing: not an ARN" in _words(explained[invalid])


def test_rule_0_1_cloudformation_intrinsics_are_read_as_placeholders_not_dropped():
    a = Account(A)
    role = a.role("FromTemplate", {"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": [{"Fn::Sub": "arn:${AWS::Partition}:iam::${TrustedAccount}:root"},
                               {"Fn::Join": [":", ["arn:aws:iam:", {"Ref": "AuditAccount"}, "root"]]}]},
         "Condition": {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}},
        {"Fn::If": ["IsGov", {"Effect": "Allow", "Action": "sts:AssumeRole",
                              "Principal": {"Service": "ec2.amazonaws.com"}}, {"Ref": "AWS::NoValue"}]}]})
    snapshot, explained = _explained(a)
    statements = snapshot.roles[role].trust.statements
    assert [p for _, p in statements[0].principals] == ["arn:${AWS::Partition}:iam::${TrustedAccount}:root",
                                                         "arn:aws:iam::${AuditAccount}:root"]
    assert statements[0].conditions[0].values == ("${ExternalId}",)
    assert statements[1].principals == (("Service", "ec2.amazonaws.com"),)
    words = _words(explained[role])
    assert "nothing can assume" not in words and "not evaluated" in words


def test_rule_0_1_placeholder_in_a_subject_is_not_evaluated_neither_open_nor_never():
    from builders import load

    from trustgraph.analysis.findings import find
    from trustgraph.graph.build import build_graph

    a = Account(A)
    host = "token.actions.githubusercontent.com"
    idp = f"arn:aws:iam::{A}:oidc-provider/{host}"

    def github(name: str, sub: str) -> str:
        return a.role(name, trust({"Federated": idp}, "sts:AssumeRoleWithWebIdentity", condition={
            "StringEquals": {f"{host}:aud": "sts.amazonaws.com"}, "StringLike": {f"{host}:sub": sub}}))

    templated = github("Templated", "repo:${GitHubOrganization}/${RepositoryName}:*")
    star = github("Star", "repo:*")
    snapshot, _ = load(a)
    g = build_graph(snapshot)
    findings = find(snapshot, g)
    on = {(f.role, f.rule) for f in findings}
    assert (templated, "TG502") in on
    assert not {(templated, r) for r in ("TG202", "TG203", "TG213")} & on
    assert (star, "TG202") in on and (star, "TG502") not in on
    assert f"{host}:sub" in edge(g, idp, templated)["conditions"]


def test_rule_0_1_unreadable_statements_are_not_evaluated_not_an_empty_trust():
    a = Account(A)
    unreadable = a.role("Unreadable", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": A}, "_terraform_unknown_attr:action": ["sts:AssumeRole"]}]})
    empty = a.role("Empty", {"Version": "2012-10-17", "Statement": []})
    _, explained = _explained(a)
    assert "not evaluated: 1 statement(s) of the trust policy could not be read" in _words(explained[unreadable])
    assert "nothing can assume this role" in _words(explained[empty])
