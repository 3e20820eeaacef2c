"""Where each part of the review bundle lives: the main page (report.md, report.html) and the pages it links to.

The main page stays a few pages long whatever the size of the organization; everything that grows with it (every
account, every grant to an outside party, every sensitive role, every finding) is on a page of its own, linked
from the main page (docs/review.md). Every name here is made from rule ids, account ids of twelve digits and
`role_slug`, so no name from the data can climb out of the bundle's directory.
"""

from __future__ import annotations

import hashlib
import re

from trustgraph.arns import ACCOUNT_ID
from trustgraph.report.markdown import short_arn

MAIN_MD = "report.md"
MAIN_HTML = "report.html"
MAP_FILE = "trust-map.svg"
PATHS_DIR = "paths"
ROLES_DIR = "roles"
FINDINGS_DIR = "findings"
ACCOUNTS_FILE = "accounts.md"
OUTSIDE_FILE = "outside-trust.md"
SENSITIVE_FILE = "sensitive-roles.md"
FINDINGS_JSON = "findings.json"
FINDINGS_SARIF = "findings.sarif"
GUARDRAILS_JSON = "guardrails.json"  # with `review --rules`
GUARDRAILS_SARIF = "guardrails.sarif"
# Above matrix_pages.SPLIT_ABOVE accounts (with OUs): the account matrix's index and its pages, one per OU.
MATRIX_FILE = "account-matrix.svg"
MATRIX_DIR = "account-matrix"
# The directories the bundle writes into: a symbolic link in their place would carry its files out of DIR.
DIRECTORIES = (PATHS_DIR, ROLES_DIR, FINDINGS_DIR, MATRIX_DIR)
TOP_FILES = (MAP_FILE, MAIN_MD, MAIN_HTML, ACCOUNTS_FILE, OUTSIDE_FILE, SENSITIVE_FILE, FINDINGS_JSON,
             FINDINGS_SARIF, GUARDRAILS_JSON, GUARDRAILS_SARIF, MATRIX_FILE)

# What each linked page holds (the bundle's list of files, `review-files`, names them under "pages").
PAGES = {"accounts": ACCOUNTS_FILE, "outside_trust": OUTSIDE_FILE, "sensitive_roles": SENSITIVE_FILE,
         "roles": f"{ROLES_DIR}/<account>/<role>.md", "findings": f"{FINDINGS_DIR}/<rule>.md",
         "pictures": f"{PATHS_DIR}/<role>.svg", "account_matrix": f"{MATRIX_DIR}/<page>.svg"}

# What the main page shows in full before it shows a summary and links to the page with everything: accounts one
# by one up to this many (else one row per OU), grants to outside parties one by one up to this many (else one row
# per party, the first PARTIES_LISTED of them).
ACCOUNTS_INLINE = 30
GRANTS_INLINE = 30
PARTIES_LISTED = 15
EXPOSED_LISTED = 10  # sensitive roles named on the main page, most exposed first


def role_slug(arn: str) -> str:
    """A file name for the role's picture and page: readable (the ARN with other characters as `-`) and unique (a
    short hash of the exact ARN), so `Ops+Admin` and `Ops@Admin`, or `role/ops/Admin` and `role/ops-Admin`,
    never share a file."""
    short = short_arn(arn)
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", short).strip("-.")[:100] or "role"
    return f"{readable}-{hashlib.sha256(arn.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


def role_page(arn: str, account: str) -> str:
    """`roles/<account>/<slug>.md`: the page of a sensitive role (of its group of roles with the same reachers);
    an account that is not twelve digits is filed under `roles/other/`."""
    folder = account if ACCOUNT_ID.match(account or "") else "other"
    return f"{ROLES_DIR}/{folder}/{role_slug(arn)}.md"


def path_picture(arn: str) -> str:
    """`paths/<slug>.svg`: who can reach the role, drawn."""
    return f"{PATHS_DIR}/{role_slug(arn)}.svg"


def rule_page(rule: str) -> str:
    """`findings/<rule>.md`: every pattern of a rule's findings in full."""
    return f"{FINDINGS_DIR}/{rule}.md"


def up(page: str) -> str:
    """The way from a page back to the bundle's directory ("" for a top-level page, "../../" for a role page)."""
    return "../" * page.count("/")
