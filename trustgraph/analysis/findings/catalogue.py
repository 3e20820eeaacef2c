"""The rule catalogue: every rule trustgraph reports, with its id, default severity, rationale and sources.

Ids are stable (TG1xx public trust, TG2xx federation, TG3xx accounts and services, TG4xx sensitive roles,
TG5xx trust hygiene, TG6xx privilege escalation, TG7xx people and IAM Identity Center, TG8xx observed use:
CloudTrail, docs/usage.md). A rule is never renumbered;
a retired rule keeps its id reserved.
"""

from __future__ import annotations

from trustgraph.analysis.findings.model import Rule, Severity

DOC_PRINCIPAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
DOC_NOTPRINCIPAL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
DOC_ACCESS_ANALYZER = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
DOC_GLOBAL_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
DOC_IAM_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html"
DOC_OIDC_ROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"
DOC_GITHUB = ("https://docs.github.com/en/actions/deployment/security-hardening-your-deployments/"
              "configuring-openid-connect-in-amazon-web-services")
DOC_GITHUB_CLAIMS = "https://docs.github.com/en/actions/reference/openid-connect-reference"
DOC_DATADOG_GITHUB = "https://securitylabs.datadoghq.com/articles/exploring-github-to-aws-keyless-authentication-flaws/"
DOC_GITLAB = "https://docs.gitlab.com/ci/cloud_services/aws/"
DOC_TFC = ("https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/"
           "aws-configuration")
DOC_IRSA = "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html"
DOC_COGNITO = "https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html"
DOC_SAML_ROLE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html"
DOC_CONFUSED_DEPUTY = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"
DOC_THIRD_PARTY = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_third-party.html"
DOC_CROSS_ACCOUNT = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html"
DOC_IDENTIFIERS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
DOC_ORG_ID = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid"
DOC_ESCALATION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"
DOC_CHAINING = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining"
DOC_MFA = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html"
DOC_LAMBDA_ROLE = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html"
DOC_UPDATE_CODE = "https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html"
DOC_RUN_COMMAND = "https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command.html"
DOC_CFN_ROLE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html"
DOC_UPDATE_TRUST = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-trust-policy.html"
DOC_ACCESS_KEYS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"
DOC_ATTACH = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_manage-attach-detach.html"
DOC_ASSUME_ROOT = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html"
DOC_ROOT_ACCESS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-enable-root-access.html"
DOC_SSO_ASSIGNMENT = "https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html"
DOC_SSO_DELEGATION = "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsetdelegation.html"
DOC_IC_ASSIGN = "https://docs.aws.amazon.com/singlesignon/latest/userguide/assignusers.html"
DOC_IC_GROUPS = "https://docs.aws.amazon.com/singlesignon/latest/userguide/set-up-single-sign-on-access-to-accounts.html"
DOC_IC_DELEGATED = "https://docs.aws.amazon.com/singlesignon/latest/userguide/delegated-admin.html"
DOC_IC_PERMISSION_SETS = "https://docs.aws.amazon.com/singlesignon/latest/userguide/permissionsets.html"
DOC_IC_ROLES = "https://docs.aws.amazon.com/singlesignon/latest/userguide/identity-center-and-iam-roles.html"
DOC_STACKSETS_ORG = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
                     "stacksets-orgs-activate-trusted-access.html")
DOC_STACKSETS_CONCEPTS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html"
DOC_IC_SLR = "https://docs.aws.amazon.com/singlesignon/latest/userguide/using-service-linked-roles.html"
DOC_CT_IDENTITY = "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html"
DOC_CT_STS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html"
DOC_LAST_USED = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"

_RULES = (
    # -- public trust -------------------------------------------------------------------------------
    Rule("TG101", "public-trust", "Role can be assumed by any AWS account", Severity.CRITICAL, "public",
         "A Principal of \"*\" or {\"AWS\": \"*\"} matches every authenticated principal of every AWS account. "
         "In the role's own account no identity policy is needed at all; in any other account the caller "
         "only needs an identity policy that its own administrator writes, so anyone who opens an AWS "
         "account can assume the role. Only a condition on a key the caller cannot choose "
         "(aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:PrincipalArn with a fixed account, "
         "aws:PrincipalAccount, aws:SourceAccount/aws:SourceArn for services) limits who that is; "
         "sts:ExternalId, MFA, tags or source IP do not. Access Analyzer reports such roles as public.",
         (DOC_PRINCIPAL, DOC_ACCESS_ANALYZER, DOC_ORG_ID),
         "Name the principals that need the role, or keep \"*\" and add a condition that pins the callers to "
         "your organization (aws:PrincipalOrgID) or to exact ARNs (ArnEquals aws:PrincipalArn)."),
    Rule("TG102", "notprincipal-allow", "NotPrincipal with Allow in a trust policy", Severity.HIGH, "public",
         "NotPrincipal with Effect Allow grants every principal except the ones listed, including other "
         "accounts and anonymous callers. AWS strongly advises against NotPrincipal with Allow, and IAM "
         "rejects NotPrincipal in role trust policies (Access Analyzer: role trust policy syntax error). A "
         "template that contains it either fails to deploy or, in a tool that accepts it, describes a "
         "public role.",
         (DOC_NOTPRINCIPAL, DOC_ACCESS_ANALYZER),
         "Replace NotPrincipal with a Principal element that lists who may assume the role."),
    # -- federation ---------------------------------------------------------------------------------
    Rule("TG201", "github-oidc-no-subject", "GitHub Actions OIDC trust without a repository condition",
         Severity.CRITICAL, "federation",
         "The GitHub issuer token.actions.githubusercontent.com is shared by every repository on GitHub. A "
         "trust that checks only the audience (or nothing) accepts a token minted by any workflow in any "
         "repository of any owner, so anyone can assume the role from their own repository. AWS and GitHub "
         "both require a condition on token.actions.githubusercontent.com:sub; Access Analyzer reports "
         "\"Missing github repo condition key\". Datadog Security Labs found such roles in the wild.",
         (DOC_GITHUB, DOC_OIDC_ROLE, DOC_DATADOG_GITHUB, DOC_ACCESS_ANALYZER),
         "Add a condition on token.actions.githubusercontent.com:sub that names the repository, and "
         "preferably the branch or environment: repo:OWNER/REPO:ref:refs/heads/main."),
    Rule("TG202", "github-oidc-subject-any-owner", "GitHub Actions OIDC subject pattern matches other owners",
         Severity.CRITICAL, "federation",
         "The sub condition must fix the repository owner. Patterns such as \"*\", \"repo:*\" or "
         "\"repo:acme*\" (no slash after the owner) also match repositories of other owners, e.g. "
         "repo:acme-evil/x; a subject that starts with a claim the workflow controls (workflow, "
         "environment, ref, context …) can be forged by any repository that customises its subject "
         "template. Any GitHub user who can create such a repository can assume the role.",
         (DOC_GITHUB, DOC_GITHUB_CLAIMS, DOC_DATADOG_GITHUB),
         "Pin the owner and repository, ending the owner with a slash: repo:OWNER/REPO:…"),
    Rule("TG203", "github-oidc-org-wide", "GitHub Actions OIDC trust open to every repository of an owner",
         Severity.LOW, "federation",
         "A subject such as repo:OWNER/* lets every workflow of every repository of that owner assume the "
         "role, including repositories created later and branches without protection. It is not open to "
         "the world, but it is rarely the intended scope for a deployment role.",
         (DOC_GITHUB, DOC_GITHUB_CLAIMS),
         "Name the repositories (and branch or environment) that deploy with this role."),
    Rule("TG204", "gitlab-oidc-open", "GitLab OIDC trust without a project restriction", Severity.CRITICAL,
         "federation",
         "GitLab.com issues tokens for every project of every user from one issuer. Without a "
         "gitlab.com:sub condition (project_path:GROUP/PROJECT:ref_type:branch:ref:main), or with a pattern "
         "that does not fix the group, any GitLab user's pipeline can assume the role. A self-managed "
         "GitLab instance narrows this to the projects of that instance.",
         (DOC_GITLAB, DOC_OIDC_ROLE),
         "Add a sub condition that names the group and project (and ref): project_path:GROUP/PROJECT:…"),
    Rule("TG205", "terraform-cloud-oidc-open", "Terraform Cloud OIDC trust without an organization restriction",
         Severity.CRITICAL, "federation",
         "app.terraform.io issues workload identity tokens for every HCP Terraform organization. Without an "
         "app.terraform.io:sub condition that fixes organization:ORG:project:…:workspace:…, or with a "
         "pattern that leaves the organization open, any HCP Terraform user's run can assume the role.",
         (DOC_TFC, DOC_OIDC_ROLE),
         "Add a sub condition: organization:ORG:project:PROJECT:workspace:WORKSPACE:run_phase:*"),
    Rule("TG206", "eks-irsa-open", "EKS IRSA trust open to every service account of the cluster",
         Severity.HIGH, "federation",
         "An EKS cluster's OIDC issuer signs tokens for every service account in every namespace of that "
         "cluster. Without a condition on <issuer>:sub = system:serviceaccount:NAMESPACE:NAME (or with "
         "system:serviceaccount:*), any pod that can use any service account, in any namespace, can assume "
         "the role.",
         (DOC_IRSA, DOC_IAM_KEYS),
         "Add StringEquals <issuer>:sub = system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT and "
         "<issuer>:aud = sts.amazonaws.com."),
    Rule("TG207", "oidc-audience-missing", "Web identity trust without an audience condition", Severity.LOW,
         "federation",
         "The aud claim names the client the token was issued for. Without a condition on it the role also "
         "accepts tokens the same issuer minted for other clients. For GitHub, EKS and HCP Terraform the "
         "subject check carries the security and the expected audience is sts.amazonaws.com / "
         "aws.workload.identity; for a general OIDC provider the audience may be the only thing that ties "
         "the token to your application.",
         (DOC_OIDC_ROLE, DOC_IAM_KEYS, DOC_GITHUB),
         "Add StringEquals <issuer>:aud = the client id (sts.amazonaws.com for GitHub Actions and EKS)."),
    Rule("TG208", "oidc-audience-unexpected", "Audience condition that does not pin the expected audience",
         Severity.LOW, "federation",
         "The audience condition uses a wildcard, a negated or …IfExists operator, or a value other than the "
         "one the issuer sends to AWS (sts.amazonaws.com for GitHub Actions' official action and EKS, "
         "aws.workload.identity for HCP Terraform). Either it accepts tokens meant for other clients, or "
         "the workflows must request a custom audience on purpose.",
         (DOC_OIDC_ROLE, DOC_GITHUB),
         "Use StringEquals with the exact audience your tokens carry."),
    Rule("TG209", "cognito-audience-missing", "Cognito identity pool trust without an identity-pool condition",
         Severity.CRITICAL, "federation",
         "Tokens from cognito-identity.amazonaws.com are minted by every identity pool of every AWS customer. "
         "Without cognito-identity.amazonaws.com:aud = your identity pool id, an identity from an "
         "attacker's own pool can assume the role (AWS now refuses to create such trusts, but older roles "
         "remain).",
         (DOC_COGNITO, DOC_IAM_KEYS),
         "Add StringEquals cognito-identity.amazonaws.com:aud = REGION:POOL-ID."),
    Rule("TG210", "cognito-amr-missing", "Cognito identity pool trust without an amr condition",
         Severity.MEDIUM, "federation",
         "Without ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated (or "
         "unauthenticated), both signed-in users and guest identities of the pool can assume the role; if "
         "the pool allows guest access, that is anyone on the internet.",
         (DOC_COGNITO,),
         "Add ForAnyValue:StringLike cognito-identity.amazonaws.com:amr = authenticated."),
    Rule("TG211", "web-identity-unconditioned", "Web identity trust with no audience or subject condition",
         Severity.HIGH, "federation",
         "A web identity (OIDC) principal without any claim condition accepts every token its issuer signs. "
         "For shared issuers (accounts.google.com, graph.facebook.com, www.amazon.com, public SaaS "
         "issuers) that is every user of every application; Access Analyzer reports \"Missing condition key "
         "for oidc principal\".",
         (DOC_OIDC_ROLE, DOC_ACCESS_ANALYZER, DOC_IAM_KEYS),
         "Add conditions on the issuer's aud (client or app id) and sub claims."),
    Rule("TG212", "saml-audience-missing", "SAML trust without a SAML:aud condition", Severity.LOW,
         "federation",
         "SAML:aud carries the assertion's Recipient (the AWS sign-in endpoint). Without it the role accepts "
         "any assertion the identity provider signs, including ones meant for other service providers. The "
         "risk is lower than for OIDC because assertions are signed for AWS, but AWS's own templates always "
         "include it.",
         (DOC_SAML_ROLE, DOC_IAM_KEYS),
         "Add StringEquals SAML:aud = https://signin.aws.amazon.com/saml."),
    Rule("TG213", "federated-condition-never-matches", "Claim condition that can never match", Severity.LOW,
         "federation",
         "The condition can never be satisfied by a real token: StringEquals with a wildcard character "
         "(\"*\" is literal there), a key that belongs to another issuer, or a subject that no issuer "
         "produces. The role is unusable rather than open, but the likely \"fix\" (switching to StringLike) "
         "would open it.",
         (DOC_OIDC_ROLE, "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
                         "reference_policies_elements_condition_operators.html"),
         "Write the exact subject the issuer sends, or StringLike with a pattern that fixes the owner."),
    # -- third parties, accounts, services ----------------------------------------------------------
    Rule("TG301", "vendor-without-external-id", "Known third party trusted without sts:ExternalId",
         Severity.HIGH, "third-party",
         "A SaaS vendor assumes roles in many customers' accounts from the same AWS account. If the trust "
         "does not require the ExternalId the vendor issued to you, any other customer of that vendor can "
         "enter your role ARN in their own vendor configuration and have the vendor assume your role for "
         "them: the confused deputy problem. AWS documents sts:ExternalId as the fix.",
         (DOC_CONFUSED_DEPUTY, DOC_THIRD_PARTY),
         "Add StringEquals sts:ExternalId = the unique id the vendor shows for your tenant."),
    Rule("TG302", "unknown-external-account", "Trust to an account outside the organization that is not a known "
         "vendor", Severity.HIGH, "third-party",
         "The trust names an account that is neither in your organization (or the data set) nor in the list "
         "of known vendors. Every principal there whose own administrator allows it can assume the role; "
         "nobody in your organization controls who that is. Roles left behind for former consultants and "
         "abandoned integrations look like this.",
         (DOC_CROSS_ACCOUNT, DOC_THIRD_PARTY),
         "Remove the statement if the relationship has ended; otherwise identify the owner, add it to the "
         "known-accounts file, name the exact role ARN and require sts:ExternalId."),
    Rule("TG303", "account-wide-trust", "Trust delegated to a whole account", Severity.LOW, "third-party",
         "An account principal (arn:aws:iam::ACCOUNT:root or a bare account id) means any principal of that "
         "account whose identity policies allow sts:AssumeRole on the role. Who that is is then decided by "
         "the other account's IAM policies, not by this trust policy. It is the standard pattern inside an "
         "organization, but naming the roles that need access keeps the trust reviewable.",
         (DOC_PRINCIPAL, DOC_CROSS_ACCOUNT),
         "Name the roles that need access, or add ArnLike aws:PrincipalArn with the role path."),
    Rule("TG304", "deleted-principal", "Trust names a deleted principal (unique id)", Severity.MEDIUM,
         "third-party",
         "IAM replaces the ARN of a deleted user or role in a trust policy with its unique id (AROA…, "
         "AIDA…). The id never matches again, not even a principal re-created under the same name, so the "
         "statement is dead and hides what the role was for. Infrastructure as code still shows the old "
         "ARN, so a re-deploy silently changes who can assume the role.",
         (DOC_IDENTIFIERS, DOC_PRINCIPAL),
         "Remove the statement, or re-save the trust with the ARN of the principal that should have access."),
    Rule("TG305", "service-confused-deputy", "Service trust without aws:SourceAccount / aws:SourceArn",
         Severity.MEDIUM, "third-party",
         "Some AWS services assume a role in your account on behalf of a resource, and the resource can be "
         "configured by another customer with your role ARN. The service documentation for these services "
         "asks for aws:SourceAccount or aws:SourceArn in the role's trust policy so that the service only "
         "assumes it for your own resources (cross-service confused deputy).",
         (DOC_CONFUSED_DEPUTY, DOC_GLOBAL_KEYS),
         "Add StringEquals aws:SourceAccount = this account (and ArnLike aws:SourceArn = the resource)."),
    # -- sensitive roles ------------------------------------------------------------------------------
    Rule("TG401", "sensitive-reachable-from-outside", "Sensitive role reachable from outside the organization",
         Severity.HIGH, "sensitive",
         "An admin-equivalent or tagged sensitive role can be reached, directly or through a chain of role "
         "assumptions, by a principal outside the organization (another account, a web identity issuer, or "
         "anyone). Compromise of that outside party is then compromise of the role.",
         (DOC_CHAINING, DOC_CROSS_ACCOUNT),
         "Cut the chain at the weakest hop: remove or narrow the outside trust, or stop the intermediate "
         "role from assuming the sensitive one."),
    Rule("TG402", "sensitive-many-reachers", "Sensitive role reachable by many principals", Severity.MEDIUM,
         "sensitive",
         "Many distinct principals can reach an admin-equivalent or tagged sensitive role. Each one is a "
         "way in; the larger the set, the less likely every member is protected as well as the role "
         "itself.",
         (DOC_CHAINING,),
         "Reduce the trust to the few principals that need it; route everyone else through a role that "
         "requires MFA."),
    Rule("TG403", "sensitive-long-chain", "Sensitive role reachable through a long chain of role assumptions",
         Severity.MEDIUM, "sensitive",
         "A principal reaches an admin-equivalent or tagged sensitive role only through three or more role "
         "assumptions. Long chains are rarely designed: they appear when trusts are added one hop at a "
         "time (CI → deployer → admin → break-glass) and they bypass the protections (MFA, approval) of "
         "the human route. Conditions are not carried along a chain: MFA required on one path does not "
         "protect another.",
         (DOC_CHAINING, DOC_MFA),
         "Remove the trust that links automation to the sensitive role, or require a condition that "
         "automation cannot meet (aws:MultiFactorAuthPresent) on that hop."),
    # -- hygiene --------------------------------------------------------------------------------------
    Rule("TG501", "trust-statement-never-matches", "Trust statement or principal that can never match",
         Severity.INFO, "hygiene",
         "The trust contains a principal or statement that IAM would reject or that can never match: "
         "partial wildcards in a principal ARN, a principal whose action does not fit it (a SAML provider "
         "with sts:AssumeRole), conditions that require an action the trust does not allow, or an invalid "
         "principal. It grants nothing but misleads readers and often hides an intended grant.",
         (DOC_PRINCIPAL, DOC_ACCESS_ANALYZER),
         "Fix or remove the statement; use {\"AWS\": \"*\"} with ArnLike aws:PrincipalArn for a pattern."),
    Rule("TG502", "trust-not-evaluated", "Trust values that were not evaluated", Severity.INFO, "hygiene",
         "The trust holds values a template tool fills in before the policy reaches IAM (Terraform ${var.…}, "
         "CloudFormation Ref, Fn::Sub, Fn::FindInMap …), or statements trustgraph could not read. Their deployed "
         "values decide who can assume the role, so trustgraph neither trusts nor dismisses them: it reports "
         "them as not evaluated. A placeholder in a principal or in the owner part of an OIDC subject (a "
         "repository name defaulting to \"*\") can make the deployed role open to anyone.",
         (DOC_PRINCIPAL, "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html"),
         "Review the deployed policy (get-account-authorization-details) or the values the template is deployed "
         "with; trustgraph evaluates the deployed policy exactly."),
    # -- privilege escalation (the indirect edges, docs/edges.md) ----------------------------------------
    Rule("TG601", "escalation-passrole", "Principal can run code as a sensitive role through iam:PassRole",
         Severity.HIGH, "escalation",
         "A principal that may call iam:PassRole on a role, together with a service API that starts code with a "
         "passed role (lambda:CreateFunction, ec2:RunInstances, cloudformation:CreateStack, codebuild:CreateProject "
         "…), gets that role's permissions without any trust policy naming it: the service assumes the role and "
         "runs the principal's code. When the role is admin-equivalent or otherwise sensitive and the principal is "
         "not already an administrator of the account, this is privilege escalation. IAM checks iam:PassRole with "
         "iam:PassedToService, and only in the role's own account.",
         (DOC_ESCALATION, DOC_IAM_KEYS, DOC_LAMBDA_ROLE),
         "Scope iam:PassRole to the role ARNs this principal needs, with a StringEquals iam:PassedToService "
         "condition naming their service, and keep sensitive roles out of that list; or drop the service action "
         "(e.g. lambda:CreateFunction) from the principal."),
    Rule("TG602", "escalation-code", "Principal can change code that already runs as a sensitive role",
         Severity.HIGH, "escalation",
         "Code already running as a role (a Lambda function, a CloudFormation stack's service role, a CodeBuild "
         "project, an EC2 instance reached by SSM Run Command or user data, a SageMaker notebook, a Glue "
         "development endpoint) runs whatever its code or commands are. A principal that may change them "
         "(lambda:UpdateFunctionCode, ssm:SendCommand, cloudformation:UpdateStack …) acts with the role's "
         "permissions, no iam:PassRole and no trust policy needed. Without an inventory of the account, which "
         "resources run as which role is unknown and the route depends on one existing "
         "(trustgraph:ResourceRunsAsRole).",
         (DOC_UPDATE_CODE, DOC_RUN_COMMAND, DOC_CFN_ROLE),
         "Limit the principal's code and command actions to the resources whose roles it may use (Resource ARNs "
         "of those functions, stacks, projects or instances), or give the resource a role with only what it "
         "needs."),
    Rule("TG603", "escalation-iam", "Principal can take over a sensitive principal or its account through IAM",
         Severity.HIGH, "escalation",
         "IAM actions on other principals hand over their permissions: iam:UpdateAssumeRolePolicy rewrites a "
         "role's trust so that the caller may assume it; iam:CreateAccessKey and iam:CreateLoginProfile / "
         "UpdateLoginProfile give the caller a user's credentials; a policy write on itself "
         "(iam:PutUserPolicy, AttachRolePolicy, CreatePolicyVersion …), or on a principal it reaches, makes the "
         "caller an administrator of the account. None of these needs a trust policy naming the caller.",
         (DOC_UPDATE_TRUST, DOC_ACCESS_KEYS, DOC_ATTACH),
         "Remove the IAM write from the principal or limit its Resource to the principals it administers (not "
         "sensitive roles, administrators or itself); a permissions boundary that denies IAM writes also "
         "stops it."),
    Rule("TG604", "escalation-assume-root", "Management account principal can take a root session in member "
         "accounts", Severity.HIGH, "escalation",
         "sts:AssumeRoot gives a principal of the organization's management account a root session in a member "
         "account once centralized root access is enabled. The task policy it asks for scopes the session, but "
         "IAMCreateRootUserPassword lets it create a root password and sign in as root: the account is taken "
         "over. Outside the administrators of the management account (who can grant it to themselves), such "
         "grants are an escalation to every member account they cover.",
         (DOC_ASSUME_ROOT, DOC_ROOT_ACCESS),
         "Limit sts:AssumeRoot to the member accounts (Resource) and task policies (sts:TaskPolicyArn) the "
         "principal needs, or remove it; keep it to a few administrators of the management account."),
    Rule("TG605", "escalation-identity-center-admin", "Identity Center administrator can become administrator of "
         "other accounts", Severity.HIGH, "escalation",
         "A principal of the account that administers IAM Identity Center (the management account, or the "
         "delegated administrator account) that may call sso:CreateAccountAssignment can give an administrator "
         "permission set — one that exists, or one it may create or rewrite — to an Identity Center user in any "
         "account its grant covers; the assignment provisions the role there. Once it signs in as a user it "
         "controls, it administers those accounts: its IAM grant is an escalation to every one of them.",
         (DOC_SSO_ASSIGNMENT, DOC_SSO_DELEGATION),
         "Limit sso:CreateAccountAssignment (and the permission set writes) to the permission sets and accounts "
         "(Resource arn:aws:sso:::permissionSet/… and arn:aws:sso:::account/…) the principal needs, or remove "
         "it; keep Identity Center administration to a few administrators."),
    Rule("TG606", "escalation-stacksets-org", "Management account principal can deploy StackSets into member "
         "accounts", Severity.HIGH, "escalation",
         "A principal of the organization's management account that may create a stack set with service-managed "
         "permissions and its stack instances deploys a template into member accounts of the organization, "
         "through a role CloudFormation creates there with full administrative rights, once trusted access for "
         "StackSets is activated in AWS Organizations. Whatever the template creates (an IAM role trusting the "
         "caller, a user with keys) makes it an administrator of each of those accounts.",
         (DOC_STACKSETS_ORG, DOC_STACKSETS_CONCEPTS),
         "Limit cloudformation:CreateStackSet and CreateStackInstances in the management account to the pipeline "
         "that deploys organization baselines (or a delegated administrator account with its own guardrails), "
         "and require its stack sets to come from reviewed templates."),
    # -- people and IAM Identity Center (graph/identity_center.py; its problems list) ----------------------------
    Rule("TG701", "sso-admin-set-to-user", "Admin-equivalent permission set assigned directly to a person",
         Severity.HIGH, "identity-center",
         "An IAM Identity Center assignment of an admin-equivalent permission set (AdministratorAccess, every action "
         "on every resource, or a privilege escalation, judged as for roles) names a user, not a group. The person "
         "can take the account over, and the grant is invisible wherever access is reviewed by group: it stays when "
         "the person changes team, and removing them from the admin group does not remove it. AWS recommends "
         "assigning access to groups rather than to individual users.",
         (DOC_IC_ASSIGN, DOC_IC_GROUPS, DOC_IC_PERMISSION_SETS),
         "Assign the permission set to the administrators' group and remove the user assignment; for occasional "
         "needs use temporary elevated access rather than a standing assignment."),
    Rule("TG702", "sso-admin-set-to-large-group", "Admin-equivalent permission set assigned to a large group",
         Severity.MEDIUM, "identity-center",
         "An admin-equivalent permission set is assigned to an IAM Identity Center group with many members (25 or "
         "more by default, or at least 30% of the directory's users once that is 3 or more; high from 25 members). "
         "Every member can take the account over, and each is a way in: a broad team group (engineering, "
         "developers) rarely needs standing administrator access. Groups synchronized from an external identity "
         "provider change membership outside AWS.",
         (DOC_IC_GROUPS, DOC_IC_PERMISSION_SETS),
         "Give the large group a permission set with the access the team needs; keep the admin-equivalent set for "
         "a small administrators' group, or grant it for a limited time when needed."),
    Rule("TG703", "sso-admin-set-in-management-account", "Admin-equivalent permission set assigned in the "
         "organization's management account", Severity.HIGH, "identity-center",
         "The management account controls the whole organization: it can leave SCPs and RCPs off, create and remove "
         "accounts, and take a root session in member accounts. SCPs do not apply to it. AWS advises granting least "
         "privilege to the management account, to as few people as possible, with permission sets made for it "
         "alone, and delegating Identity Center administration to a member account.",
         (DOC_IC_DELEGATED, DOC_IC_PERMISSION_SETS),
         "Remove the assignment, or keep it for a named break-glass group of very few people; do routine work "
         "from member accounts and a delegated administrator."),
    Rule("TG704", "sso-group-sensitive-many-accounts", "Identity Center group signs in to sensitive roles in many "
         "accounts", Severity.MEDIUM, "identity-center",
         "One IAM Identity Center group holds permission sets whose roles are sensitive (admin-equivalent or tagged) "
         "in many accounts. Whoever controls the group's membership (the identity provider, a SCIM sync, an "
         "Identity Center administrator) controls all of these accounts at once, and every member reaches them all.",
         (DOC_IC_GROUPS, DOC_IC_PERMISSION_SETS),
         "Split the group by account or environment, or assign the sensitive permission set only where the group "
         "needs it."),
    Rule("TG705", "sso-assignment-dangling", "Identity Center assignment names a user, group or permission set not "
         "in the data", Severity.LOW, "identity-center",
         "An account assignment names a user, group or permission set that the Identity Center data does not hold: "
         "deleted in the identity store (or the identity provider) without its assignments, or read from partial "
         "data. Who the assignment gives access to cannot be said, and a principal re-created with the same id "
         "would get it back.",
         (DOC_IC_ASSIGN, DOC_IC_PERMISSION_SETS),
         "Delete the assignment if the user, group or permission set is gone; otherwise collect the Identity "
         "Center data again in full."),
    Rule("TG706", "sso-assignment-unprovisioned", "Identity Center assignment without its role in the account",
         Severity.LOW, "identity-center",
         "IAM Identity Center makes a role AWSReservedSSO_<permission set>_<suffix> in each account a permission "
         "set is assigned in. The account's IAM data holds no such role: the assignment gives nobody anything "
         "today (provisioning failed, or the role was deleted outside Identity Center), but re-provisioning the "
         "permission set grants it without any new assignment. Medium when the permission set is "
         "admin-equivalent.",
         (DOC_IC_ROLES, DOC_IC_PERMISSION_SETS),
         "Delete the assignment if it is no longer wanted; otherwise re-provision the permission set to the "
         "account and check why the role was missing."),
    Rule("TG707", "sso-role-orphaned", "AWSReservedSSO role without an assignment", Severity.LOW, "identity-center",
         "A role on the path /aws-reserved/sso.amazonaws.com/ named AWSReservedSSO_<permission set>_<suffix> exists "
         "in an account where no assignment of that permission set is in the data. Identity Center removes the "
         "role when the last assignment goes, so it was left behind (or the assignments are in data not read); its "
         "trust still admits the account's AWSSSO SAML provider and other roles may trust it.",
         (DOC_IC_ROLES, DOC_IC_SLR),
         "Check that no assignment should exist; then re-provision or delete the permission set's provisioning in "
         "that account from Identity Center, which removes the role."),
    Rule("TG708", "sso-role-policy-mismatch", "AWSReservedSSO role whose policies differ from its permission set",
         Severity.MEDIUM, "identity-center",
         "The managed policies attached to a role Identity Center provisioned are not those of its permission set. "
         "Identity Center keeps the roles in line with the permission sets, so the difference was made outside it "
         "(someone with IAM access edited a reserved role) or the permission set was changed and not re-provisioned. "
         "Either way what the people who sign in can do is not what the permission set says. Low when the role only "
         "lacks policies.",
         (DOC_IC_ROLES, DOC_IC_SLR),
         "Re-provision the permission set to the account (which restores the role's policies), and find who "
         "changed the reserved role."),
    Rule("TG709", "sso-role-trust-mismatch", "AWSReservedSSO role whose trust does not admit Identity Center",
         Severity.LOW, "identity-center",
         "A permission set is assigned in the account and its role is there, but the role's trust does not admit the "
         "account's AWSSSO SAML provider (or a policy denies the sign-in): nobody can sign in through Identity "
         "Center. Identity Center writes that trust itself, so it was changed outside it.",
         (DOC_IC_ROLES, DOC_IC_SLR),
         "Re-provision the permission set to the account, which restores the trust, and find who changed it."),
    # -- observed use (CloudTrail events in the inputs) ----------------------------------------
    Rule("TG801", "trust-never-used", "Trust not used in the period CloudTrail covers", Severity.LOW, "usage",
         "The trust lets this caller assume the role, but none of the CloudTrail events read, which cover the role's "
         "account for the period given, records a successful call of it. Access nobody exercises is standing risk "
         "with no benefit: it is what an attacker who takes over the caller gets for free. Medium when the role is "
         "sensitive. A trust outside the covered accounts or period is unknown, never reported.",
         (DOC_CT_STS, DOC_LAST_USED),
         "Confirm with the role's owner that the caller no longer needs it, then remove the caller from the trust "
         "policy (or the role, when nothing uses it)."),
    Rule("TG802", "trust-used-from-outside", "Role assumed by a principal outside the organization", Severity.MEDIUM,
         "usage",
         "CloudTrail recorded a successful AssumeRole into the role by a principal of an AWS account outside the "
         "organization (or outside the data, without organization data). Whether or not the trust is meant for it, "
         "this is access from outside actually used: the account should be a vendor you know. High when the role is "
         "sensitive.",
         (DOC_CT_IDENTITY, DOC_CT_STS, DOC_THIRD_PARTY),
         "Check the account against your vendors (--known-accounts); if it is not one, remove it from the trust and "
         "review what its sessions did (the session's events carry the same access key)."),
    Rule("TG803", "assume-role-probing", "Denied AssumeRole attempts from outside the organization", Severity.MEDIUM,
         "usage",
         "CloudTrail recorded AssumeRole calls into the role from an account outside the organization that STS "
         "refused (AccessDenied). Someone outside knows the role's ARN and tried it: role enumeration or a "
         "misconfigured vendor. High when the role is sensitive.",
         (DOC_CT_IDENTITY, DOC_CT_STS),
         "Find who owns the calling account (the event's source IP and user agent are kept); keep the trust as narrow "
         "as it is, and alert on further attempts."),
    Rule("TG804", "use-not-explained", "Observed role assumption today's policies do not allow", Severity.MEDIUM,
         "usage",
         "CloudTrail recorded a successful role assumption that no trust edge of today's graph admits. Either the "
         "policies changed since the call (a trust or identity policy was narrowed, which is fine, or widened and "
         "narrowed again), or the caller reached the role in a way trustgraph does not model: a gap to report. The "
         "event is kept as evidence.",
         (DOC_CT_IDENTITY, DOC_CT_STS),
         "Compare the event's time with the role's trust policy history (CloudTrail UpdateAssumeRolePolicy events); "
         "if the trust did not change, report the event so the model can be corrected."),
)

RULES: dict[str, Rule] = {r.id: r for r in _RULES}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
