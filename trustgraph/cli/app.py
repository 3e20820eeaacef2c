"""The `trustgraph` click group. Each command lives in its own module and is added here."""

from __future__ import annotations

import sys
from typing import Any

import click

from trustgraph import __version__
from trustgraph.analysis.reachability import NodeNotFound
from trustgraph.graph.serialize import GraphFileError
from trustgraph.render.views import ViewTooLarge
from trustgraph.sources.known_accounts import AccountsFileError

EXIT_USAGE = 2
USER_ERRORS: tuple[type[Exception], ...] = (NodeNotFound, ViewTooLarge, GraphFileError, AccountsFileError)


class TrustgraphGroup(click.Group):
    """Turns unexpected exceptions into a one-line error (exit 2) unless --debug asks for the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except USER_ERRORS as exc:
            # The user named something that isn't there or asked for too much: say what, no traceback hint.
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc} (run with --debug for the traceback)", err=True)
            sys.exit(EXIT_USAGE)


@click.group(cls=TrustgraphGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="trustgraph")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Map AWS IAM role trust: who can reach a role, and through which sts:AssumeRole chain.

    Inputs are files or directories (auto-detected): `aws iam get-account-authorization-details`
    exports, get-role / list-roles output, bare trust policies, and organization.json snapshots.

    Exit codes: 0 success (also when nothing reaches the target), 1 a --fail-on gate tripped,
    2 bad usage or no usable input, 3 a partial collection.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    # Imported late so that command modules can import `main` from here.
    from trustgraph.cli import commands  # noqa: F401


_register()
