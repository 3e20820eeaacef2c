"""The `trustgraph` click group. Each command lives in its own module, imported when the command runs."""

from __future__ import annotations

import difflib
import os
import sys
from importlib import import_module
from typing import Any, NoReturn

import click

from trustgraph.cli.commands import COMMANDS
from trustgraph.version import __version__

EXIT_USAGE = 2
# Standard output closed before the answer was written (`trustgraph … | head -1`): 128 + SIGPIPE, what a shell
# reports for any program a closed pipe stopped (cat, grep). Not 0: a gated run whose output was cut was not
# decided, and must not read as passed; not 1, a tripped gate.
EXIT_BROKEN_PIPE = 141
# Errors that mean the user named something that isn't there or asked for too much, or that an output could
# not be written, as (module, class).
# Named, not imported: their modules load networkx and rich, which --version and --help never need.
USER_ERRORS: tuple[tuple[str, str], ...] = (
    ("trustgraph.analysis.reachability", "NodeNotFound"),
    ("trustgraph.render.views", "ViewTooLarge"),
    ("trustgraph.saved.serialize", "GraphFileError"),
    ("trustgraph.sources.known_accounts", "AccountsFileError"),
    ("trustgraph.report.bundle", "BundleRefused"),
    ("trustgraph.cli.gate_files", "GateFileError"),
    ("trustgraph.analysis.guardrails", "GuardrailError"),  # a rule naming an OU or account the data lacks
    ("trustgraph.atomic", "OutputError"),  # a write failed (full disk): the previous output is untouched
)


def is_user_error(exc: BaseException) -> bool:
    # An instance of one of these classes exists only once its module is loaded: no import needed here.
    for module_name, class_name in USER_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def stdout_gone() -> NoReturn:
    """Stop quietly, the reader of standard output gone. As Python's docs on SIGPIPE advise
    (https://docs.python.org/3/library/signal.html#note-on-sigpipe), standard output is pointed at devnull
    first, so that the flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a file descriptor (a test's capture, no stdout at all): nothing left to flush into a pipe
    sys.exit(EXIT_BROKEN_PIPE)


INPUT_FLAGS = ("-i", "--input")


def _looks_like_input(word: str) -> bool:
    return not word.startswith(("-", "arn:")) and (os.path.lexists(word) or word.lower().endswith(".json"))


def normalise_args(args: list[str]) -> list[str]:
    """The command line as click expects it, from the forms people type:

    * `--debug` anywhere (after the command too, where every error message suggests it) is the group's
      option; `collect` keeps its own `--debug` as well.
    * `-i a.json b.json` (what a shell glob such as `-i samples/acme/[0-9]*.json` gives): the paths after
      an `-i`/`--input` value that exist on disk (or name a .json file) are further inputs, each given its own
      `-i`. Any other word (a role ARN, a principal) stays a positional argument.
    """
    end = args.index("--") if "--" in args else len(args)
    head, tail = list(args[:end]), list(args[end:])
    debug = "--debug" in head
    command = next((a for a in head if not a.startswith("-")), None)
    if debug and command != "collect":
        head = ["--debug"] + [a for a in head if a != "--debug"]
    elif debug and command == "collect" and head[0] != "--debug":
        head = ["--debug"] + head  # the group's too, for errors outside the collection itself
    out: list[str] = []
    i = 0
    while i < len(head):
        arg = head[i]
        out.append(arg)
        i += 1
        if arg in INPUT_FLAGS and i < len(head):
            out.append(head[i])
            i += 1
        elif not any(arg.startswith(f"{flag}=") for flag in ("--input",)):
            continue
        while i < len(head) and _looks_like_input(head[i]):
            out += ["-i", head[i]]
            i += 1
    return out + tail


def examples(*lines: str) -> str:
    """A command's epilog, the end of its --help: an "Examples:" block, each line kept as written (click's \\b)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def unknown_command(name: str, commands: list[str]) -> str:
    """The error for a command that does not exist, naming the closest ones (difflib's ratio, at most three)."""
    close = difflib.get_close_matches(name, commands, n=3)
    if not close:
        return f"No such command {name!r}. Commands: {', '.join(commands)}."
    return f"No such command {name!r}. Did you mean {' or '.join(close)}?"


class TrustgraphGroup(click.Group):
    """Imports a command's module on first use (click's lazy-group pattern) and turns unexpected exceptions
    into a one-line error (exit 2) unless --debug asks for the traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import_module(COMMANDS[cmd_name].module)  # registers the command on this group
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        # click suggests from the commands loaded so far, which here is none of them: suggest from the registry.
        name = click.utils.make_str(args[0])
        if not ctx.resilient_parsing and not name.startswith("-") and self.get_command(ctx, name) is None:
            raise click.UsageError(unknown_command(name, self.list_commands(ctx)), ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing asks get_command for every command, which would import them all for one
        # line of help each. A stand-in carrying the registered line is shortened by click the same way.
        commands = [(name, self.commands.get(name) or click.Command(name, help=COMMANDS[name].short_help))
                    for name in self.list_commands(ctx)]
        commands = [(name, cmd) for name, cmd in commands if not cmd.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in commands])

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, normalise_args(args))

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Every way in (the console script, python -m trustgraph, CliRunner) comes through here. What is still
        # buffered is flushed before the interpreter's own flush at exit, where a closed pipe would print an
        # "Exception ignored" message instead of stopping quietly.
        try:
            try:
                return super().main(*args, **kwargs)
            finally:
                if sys.stdout is not None:
                    sys.stdout.flush()
        except BrokenPipeError:
            stdout_gone()

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        # `trustgraph --help` and `--version` print while the group's options are parsed. Here and in invoke, not
        # in main: click's own handler of a closed pipe, between the two, exits 1.
        try:
            return super().make_context(*args, **kwargs)
        except BrokenPipeError:
            stdout_gone()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except BrokenPipeError:
            stdout_gone()
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:
            from trustgraph.cli.terminal import visible

            if is_user_error(exc):
                # The user named something that isn't there or asked for too much: say what, no traceback hint.
                click.echo(f"error: {visible(exc)}", err=True)
                sys.exit(EXIT_USAGE)
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {visible(exc)} (run with --debug for the traceback)", err=True)
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
    2 bad usage or no usable input, 3 a partial collection, 141 standard output closed (| head).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug

