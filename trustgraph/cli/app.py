"""The `trustgraph` click group. Each command lives in its own module and is added here."""

from __future__ import annotations

import click

from trustgraph import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trustgraph")
def main() -> None:
    """Map AWS IAM role trust: who can reach a role, and through which sts:AssumeRole chain.

    Inputs are files or directories (auto-detected): `aws iam get-account-authorization-details`
    exports, get-role / list-roles output, bare trust policies, and organization.json snapshots.
    """


def _register() -> None:
    # Imported late so that `trustgraph --help` stays cheap and modules can import `main` safely.
    from trustgraph.cli import commands  # noqa: F401


_register()
