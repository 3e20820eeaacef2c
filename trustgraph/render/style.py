"""One visual vocabulary for every picture: node shape per kind, edge style per scope, legend.

Node styles are keyed by the graph's node kinds (graph/schema.py), the indirect edges' styles by their edge kinds;
a kind without a style row here (one added to the schema later) is drawn in a default style (`node_style`,
`edge_style`) rather than failing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence

from trustgraph.graph.schema import EdgeKind, NodeKind
from trustgraph.graph.usage import UNKNOWN, UNUSED, USED
from trustgraph.text import NONCHARACTERS, visible

NODE_STYLE: dict[str, dict[str, str]] = {
    NodeKind.ROLE: {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fe", "color": "#3366cc"},
    NodeKind.USER: {"shape": "ellipse", "style": "filled", "fillcolor": "#e6f4ea", "color": "#188038"},
    NodeKind.ACCOUNT: {"shape": "folder", "style": "filled", "fillcolor": "#fef7e0", "color": "#b06000"},
    NodeKind.SERVICE: {"shape": "hexagon", "style": "filled", "fillcolor": "#f1f3f4", "color": "#5f6368"},
    NodeKind.FEDERATED: {"shape": "component", "style": "filled", "fillcolor": "#f3e8fd", "color": "#8430ce"},
    NodeKind.PUBLIC: {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#fce8e6", "color": "#c5221f"},
    NodeKind.UNKNOWN: {"shape": "note", "style": "filled,dashed", "fillcolor": "#ffffff", "color": "#80868b"},
    # a trust class: the principals an org-wide `*` trust admits, alike in everything that decides it
    NodeKind.CLASS: {"shape": "octagon", "style": "filled", "fillcolor": "#e0f7fa", "color": "#1a73e8"},
    # whoever can take over an account: its administrators, reaching every role and user of it through IAM
    NodeKind.ACCOUNT_ADMIN: {"shape": "house", "style": "filled", "fillcolor": "#fce8e6", "color": "#a50e0e"},
    # principals of one account whose policies give them the same PassRole, code and IAM edges
    NodeKind.POLICY_GROUP: {"shape": "octagon", "style": "filled,dashed", "fillcolor": "#fef7e0", "color": "#e37400"},
    # code of any resource of one kind in an account (no inventory tells which role each runs as)
    NodeKind.CODE_RUNNER: {"shape": "cds", "style": "filled,dashed", "fillcolor": "#e6f4ea", "color": "#137333"},
    # any role of an account trusting one service, for callers that may pass every such role alike
    NodeKind.PASSROLE_RUNNER: {"shape": "cds", "style": "filled,dashed", "fillcolor": "#fef7e0", "color": "#e37400"},
    # service-managed StackSets of a managing account, deployed into its member accounts
    NodeKind.STACKSETS_DEPLOYER: {"shape": "cds", "style": "filled,dashed", "fillcolor": "#fce8e6", "color": "#a50e0e"},
    # the people of IAM Identity Center and their groups
    NodeKind.IDENTITY_CENTER_USER: {"shape": "egg", "style": "filled", "fillcolor": "#fdf2fa", "color": "#a142f4"},
    NodeKind.IDENTITY_CENTER_GROUP: {"shape": "tab", "style": "filled", "fillcolor": "#fdf2fa", "color": "#a142f4"},
}

EDGE_STYLE: dict[str, dict[str, str]] = {
    "same-account": {"color": "#3c4043", "penwidth": "1.2"},
    "cross-account": {"color": "#1a73e8", "penwidth": "2"},
    "service": {"color": "#9aa0a6", "penwidth": "1"},
    "federated": {"color": "#8430ce", "penwidth": "1.5"},
    "public": {"color": "#d93025", "penwidth": "2.5"},
    # principal → its account's hub node (it may use every trust that delegates to its account)
    EdgeKind.MEMBER: {"color": "#9aa0a6", "penwidth": "1", "style": "dotted", "arrowhead": "empty"},
    # Edges that are no role assumption, by kind (labelled with their technique): code run as the role, IAM
    # writes, root sessions.
    EdgeKind.PASSROLE: {"color": "#e37400", "penwidth": "1.5", "arrowhead": "diamond"},
    EdgeKind.CODE: {"color": "#137333", "penwidth": "1.5", "arrowhead": "diamond"},
    EdgeKind.IAM: {"color": "#a50e0e", "penwidth": "1.5", "arrowhead": "odiamond"},
    EdgeKind.ASSUME_ROOT: {"color": "#a50e0e", "penwidth": "2.5", "arrowhead": "odiamond"},
    # an Identity Center person in a group, and a sign-in to a permission set's role
    EdgeKind.GROUP_MEMBER: {"color": "#a142f4", "penwidth": "1", "style": "dotted", "arrowhead": "empty"},
    EdgeKind.SSO: {"color": "#8430ce", "penwidth": "1.5", "arrowhead": "normal"},
}

# The account view: one node per account (or per group of outside sources).
ACCOUNT_NODE_STYLE: dict[str, dict[str, str]] = {
    "account": {"shape": "box", "style": "rounded,filled", "fillcolor": "#fef7e0", "color": "#b06000"},
    "org-only": {"shape": "box", "style": "rounded,filled,dashed", "fillcolor": "#fffdf5", "color": "#b06000"},
    "ou": {"shape": "tab", "style": "filled", "fillcolor": "#fef7e0", "color": "#b06000", "penwidth": "1.5"},
    "vendor": {"shape": "box", "style": "filled", "fillcolor": "#fff0e0", "color": "#e37400"},
    "external": {"shape": "box3d", "style": "filled,dashed", "fillcolor": "#fce8e6", "color": "#c5221f"},
    "federated": NODE_STYLE[NodeKind.FEDERATED],
    "public": NODE_STYLE[NodeKind.PUBLIC],
    "service": NODE_STYLE[NodeKind.SERVICE],
    "unknown": NODE_STYLE[NodeKind.UNKNOWN],
    "class": NODE_STYLE[NodeKind.CLASS],
}
ACCOUNT_NODE_LEGEND: dict[str, str] = {
    "account": "account in the data",
    "org-only": "own account, no IAM data",
    "ou": "organizational unit (its accounts folded)",
    "vendor": "known vendor account",
    "external": "unknown external accounts",
    "federated": "identity provider",
    "public": "anyone (*)",
    "service": "AWS services",
    "unknown": "unresolved principals",
    "class": "org-wide trust ({\"AWS\":\"*\"} + conditions)",
}
# Edge colour by where the trusted callers come from.
ACCOUNT_EDGE_STYLE: dict[str, dict[str, str]] = {
    "internal": {"color": "#1a73e8"},
    "vendor": {"color": "#e37400"},
    "external": {"color": "#c5221f"},
    "federated": {"color": "#8430ce"},
    "public": {"color": "#d93025"},
    "service": {"color": "#9aa0a6"},
    "unknown": {"color": "#80868b"},
}
ACCOUNT_EDGE_LEGEND: dict[str, str] = {
    "internal": "from an account in the data / organization",
    "vendor": "from a known vendor",
    "external": "from unknown external accounts",
    "federated": "from an identity provider",
    "public": "from anyone (*)",
    "service": "from AWS services",
    "unknown": "from unresolved principals",
}
# The people view (render/people.py): Identity Center groups and users, permission sets, accounts or OUs.
PEOPLE_NODE_STYLE: dict[str, dict[str, str]] = {
    "group": NODE_STYLE[NodeKind.IDENTITY_CENTER_GROUP],
    "user": NODE_STYLE[NodeKind.IDENTITY_CENTER_USER],
    "users": {**NODE_STYLE[NodeKind.IDENTITY_CENTER_USER], "shape": "box3d"},
    "permission-set": {"shape": "box", "style": "rounded,filled", "fillcolor": "#f3e8fd", "color": "#8430ce"},
    "account": ACCOUNT_NODE_STYLE["account"],
    "org-only": ACCOUNT_NODE_STYLE["org-only"],
    "ou": ACCOUNT_NODE_STYLE["ou"],
    "accounts": {**ACCOUNT_NODE_STYLE["account"], "shape": "box3d"},
}
PEOPLE_NODE_LEGEND: dict[str, str] = {
    "group": "Identity Center group (bold: synced from the identity provider)",
    "user": "user assigned directly",
    "users": "users assigned directly (folded)",
    "permission-set": "permission set",
    "account": "account in the data",
    "org-only": "account without IAM data",
    "ou": "organizational unit (its accounts folded)",
    "accounts": "accounts alike (folded)",
}
PUBLIC_MARK_COLOR = "#d93025"
# Sensitive (admin-equivalent) roles and roles with findings, and the accounts and OUs holding them.
SENSITIVE_GLYPH = "\u26a0"  # ⚠
FINDING_GLYPH = "\u2691"  # ⚑
MARK_COLOR = "#c5221f"
SENSITIVE_STYLE = {"peripheries": "2", "color": MARK_COLOR, "penwidth": "1.5"}
# Trust naming a principal that no longer exists (or never did): nothing can use it.
DEAD_END_STYLE = {"color": "#9aa0a6", "style": "dotted", "arrowhead": "tee", "penwidth": "1.2"}
DEAD_END_TEXT = "unresolved principal (deleted or invalid): a dead end, nothing can use the trust"
# Fill colours for organizational units when the layout cannot draw clusters (sfdp).
OU_PALETTE = ("#e8f0fe", "#e6f4ea", "#fef7e0", "#f3e8fd", "#e0f7fa", "#fce8e6", "#f1f8e9", "#fff3e0",
              "#ede7f6", "#e0f2f1", "#fbe9e7", "#f9fbe7")

# Observed use (`--usage`, docs/usage.md), keyed by graph/usage.py's states: used trust is solid and labelled with
# its last call, trust the events cover and never saw used is faint and dashed; unknown use keeps the scope's style.
USAGE_STYLE: dict[str, dict[str, str]] = {
    USED: {"style": "solid", "penwidth": "2.2", "fontcolor": "#137333"},
    UNUSED: {"style": "dashed", "color": "#c4c7c5", "penwidth": "1", "fontcolor": "#9aa0a6"},
}
USAGE_LEGEND: dict[str, tuple[str, str, str]] = {  # state → (line glyph, colour, text)
    USED: ("&#9473;&#9473;&#9654;", "#3c4043",
           "used in the events' window: solid, labelled with the last use and calls"),
    UNUSED: ("- - &#9654;", "#c4c7c5", "not used in a window the events cover"),
    UNKNOWN: ("&#9472;&#9472;&#9654;", "#3c4043", "usage unknown (outside the events' coverage, or not a role "
                                                      "assumption): drawn as without --usage"),
}

TARGET_STYLE = {"fillcolor": "#fbbc04", "penwidth": "3", "color": "#b06000"}
FONT = "Helvetica"
# Graphviz `size` (inches) of every picture: larger drawings are scaled down to about 8,000 pixels a side
# (96 dpi PNG; 72 points per inch in SVG and PDF).
MAX_SIZE = "83,83"
LEGEND_BORDER = "#9aa0a6"


def short_condition_label(keys: list[str]) -> str:
    if not keys:
        return ""
    short = [k.split(":", 1)[-1] if not k.startswith("trustgraph:") else "policy?" for k in keys]
    text = ", ".join(short[:2]) + ("…" if len(short) > 2 else "")
    return f"if {text}"


def dot_text(value: object) -> str:
    """Data text for an ordinary DOT label: backslashes are DOT escapes (\\n, \\N, \\G…), so double them;
    control characters (which Graphviz rejects and XML cannot hold) are shown as `\\x1b`-style escapes."""
    return visible(value).replace("\\", "\\\\")


def html_text(value: object) -> str:
    """Data text for a DOT HTML-like label (Graphviz expands \\N and friends there too)."""
    return html.escape(visible(value), quote=True).replace("\\", "\\\\")


_XML_INVALID = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{NONCHARACTERS}]")


def xml_text(value: object) -> str:
    """Data text for an SVG written directly (the matrix): XML escaping; characters XML cannot hold at all
    (control characters, lone surrogates, U+FFFE, U+FFFF) and the other noncharacters become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", html.escape(str(value), quote=True))


def tooltip_text(value: object) -> str:
    """Data text for a tooltip: Graphviz unescapes tooltips twice, so a backslash is written as four."""
    return visible(value).replace("\\", "\\" * 4)


def legend_table(node_rows: Sequence[tuple[Mapping[str, str], str]], edge_rows: Sequence[tuple[str, str, str]],
                 extra_rows: Sequence[str] = ()) -> str:
    """An HTML-like label for the legend node.

    node_rows: (node style, text); edge_rows: (line glyphs, colour, text); extra_rows: ready `<TR>` rows.
    """
    rows = []
    for style, text in node_rows:
        border_style = ' STYLE="dashed"' if "dashed" in style.get("style", "") else ""
        rows.append(f'<TR><TD BGCOLOR="{style["fillcolor"]}" BORDER="1" COLOR="{style["color"]}"{border_style}'
                    f' WIDTH="26"> </TD><TD ALIGN="LEFT">{html_text(text)}</TD></TR>')
    for glyph, colour, text in edge_rows:
        rows.append(f'<TR><TD><FONT COLOR="{colour}">{glyph}</FONT></TD><TD ALIGN="LEFT">{html_text(text)}</TD></TR>')
    rows.extend(extra_rows)
    return (f'<<TABLE BORDER="1" STYLE="rounded" COLOR="{LEGEND_BORDER}" CELLBORDER="0" CELLSPACING="2" '
            'CELLPADDING="2" BGCOLOR="#ffffff">'
            '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>' + "".join(rows) + "</TABLE>>")


SOLID = "&#9472;&#9472;&#9654;"
DASHED = "- - &#9654;"
DOTTED = "&#183;&#183;&#183;&#183;&#9655;"
DEAD_END = "&#183;&#183;&#183;&#183;&#8867;"
SCOPE_LEGEND: dict[str, str] = {EdgeKind.MEMBER: "member of its account or of an org-wide trust class",
                EdgeKind.PASSROLE: "passes the role to a service (iam:PassRole)",
                EdgeKind.CODE: "changes code running as the role",
                EdgeKind.IAM: "IAM write (trust, credentials, own policies)",
                EdgeKind.ASSUME_ROOT: "sts:AssumeRoot (root session)",
                EdgeKind.GROUP_MEMBER: "member of an Identity Center group",
                EdgeKind.SSO: "Identity Center sign-in (permission set)"}
# How an edge is drawn whose scope or kind has no style row.
PLAIN_EDGE = "same-account"


def node_style(kind: object) -> Mapping[str, str]:
    """The style of a node kind; a kind without a row is drawn as an unresolved principal."""
    style = NODE_STYLE.get(kind) if isinstance(kind, str) else None
    return style if style is not None else NODE_STYLE[NodeKind.UNKNOWN]


def edge_style(key: str) -> Mapping[str, str]:
    """The style of an edge drawn by this scope or kind (`render.dot.drawn_as`); a plain line without a row."""
    return EDGE_STYLE.get(key, EDGE_STYLE[PLAIN_EDGE])
