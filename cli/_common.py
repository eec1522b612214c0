"""Shared pieces of the command line: error handling, progress, config files."""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import time
import tomllib
import traceback
import warnings
from pathlib import Path

import click

from treedistill.distill._choices import FITTED_KINDS as STUDENT_KINDS
from treedistill.exceptions import TreedistillError

DEBUG_ENV = "TREEDISTILL_DEBUG"
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_INPUT = 2


def one_line(text: object) -> str:
    """``text`` on one line (runs of whitespace made single spaces), with direction
    controls shown visibly escaped."""
    from treedistill.common._text import show_controls

    return show_controls(" ".join(str(text).split()))


# Library parameters whose option is not ``--`` + the name with dashes.
_FLAG_OF = {
    "teacher_hidden": "--hidden",
    "hidden_layer_sizes": "--hidden",
    "teacher_max_epochs": "--max-epochs",
    "n_members": "--ensemble",
    "random_state": "--seed",
    "kind": "--student",
    "categorical_features": "--categorical",
    "monotone_constraints": "--monotone",
}


def flag_of(parameter: str) -> str:
    """The command-line option of a library parameter (``test_size`` → ``--test-size``)."""
    return _FLAG_OF.get(parameter, "--" + parameter.replace("_", "-"))


def _known_parameters() -> set[str]:
    from dataclasses import fields

    from treedistill import DistillParams

    return {f.name for f in fields(DistillParams)} | set(_FLAG_OF)


def _outside_quotes(message: str, replace) -> str:
    parts = re.split(r"('(?:[^'\\]|\\.)*')", message)
    return "".join(p if i % 2 else replace(p) for i, p in enumerate(parts))


def library_message(exc: TreedistillError) -> str:
    """The error's one line with the parameters it names written as options.

    The parameter the error is about (``exc.parameter``) and every other parameter
    name with an underscore are replaced where they stand as words outside quotes.
    """
    message = str(exc)
    parameter = getattr(exc, "parameter", None)
    names = {name for name in _known_parameters() if "_" in name}
    if parameter:
        names.add(parameter)

    def replace(text: str) -> str:
        for name in sorted(names, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.-]){name}(?![\w-])", flag_of(name), text)
        return text

    return _outside_quotes(message, replace)


def _debug() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip() not in ("", "0", "false", "no")


def _fail(message: str, code: int) -> None:
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


_OS_REASONS = {
    errno.ENOENT: "no such file or directory",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory, not a file",
    errno.ENOTDIR: "is not a directory",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "the file size limit is exceeded (ulimit -f)",
}


def _file_error_message(exc: OSError) -> str | None:
    """A one-line message for an error of the file system; None if not one."""
    what = _OS_REASONS.get(exc.errno)
    if what is None:
        return None
    name = exc.filename
    return f"{what}: {str(name)!r}" if name is not None else f"{what} ({one_line(exc)})"


def _unexpected(exc: BaseException) -> None:
    message = one_line(exc) or "(no message)"
    _fail(
        f"unexpected {type(exc).__name__}: {message} (run with "
        f"{DEBUG_ENV}=1 for the traceback)",
        EXIT_UNEXPECTED,
    )


# Library messages name parameters (``keep=['id']``); shown here as options.
_LIST_PARAMETER = re.compile(r"\b(keep|drop|categorical_features)=\[([^\]]*)\]")


def as_options(text: str) -> str:
    """``text`` with the library's list-parameter hints written as options."""

    def option(m: re.Match) -> str:
        names = [n.strip().strip("'\"") for n in m.group(2).split(",") if n.strip()]
        return f"{flag_of(m.group(1))} {','.join(names)}"

    return _LIST_PARAMETER.sub(option, text)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if StageProgress.active is not None:
        StageProgress.active.interrupt()
    click.echo(f"Warning: {as_options(one_line(message))}", err=True)


class TreedistillGroup(click.Group):
    """A click group that reports every failure as one ``Error: ...`` line.

    Exit codes: 0 success; 2 bad usage or bad input (every library error, a
    ``ValueError``, missing or unwritable files, click usage errors); 1 anything
    unexpected (with a hint to set ``TREEDISTILL_DEBUG=1`` for the traceback).
    """

    def main(
        self,
        args=None,
        prog_name=None,
        complete_var=None,
        standalone_mode=True,
        **extra,
    ):
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            )
        try:
            # Warning filters set by a command (--quiet) end with the command.
            with warnings.catch_warnings():
                warnings.showwarning = _show_warning
                rv = super().main(
                    args, prog_name, complete_var, standalone_mode=False, **extra
                )
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            click.echo("Aborted.", err=True)
            interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
            sys.exit(130 if interrupted else EXIT_UNEXPECTED)
        except click.ClickException as exc:
            if _debug():
                traceback.print_exc()
            _fail(exc.format_message(), EXIT_INPUT)
        except KeyboardInterrupt:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except TreedistillError as exc:
            if _debug():
                traceback.print_exc()
            _fail(library_message(exc), EXIT_INPUT)
        except ValueError as exc:
            if _debug():
                traceback.print_exc()
            _fail(str(exc), EXIT_INPUT)
        except OSError as exc:
            if _debug():
                traceback.print_exc()
            message = _file_error_message(exc)
            if message is None:
                _unexpected(exc)
            _fail(message, EXIT_INPUT)
        except SystemExit:
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if _debug():
                traceback.print_exc()
            _unexpected(exc)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #
class StageProgress:
    """One line per stage of a run on stderr, unless quiet: ``[4/7] tree
    student… 6.4 s``, the stage's name when it starts and its seconds when it
    ends, on the same line.

    Lines rather than a bar, so that logs and pipes see them too. A warning
    printed while a stage runs ends the line first; the stage's seconds then
    follow on a line of their own (``  (tree student: 6.4 s)``).
    """

    active: StageProgress | None = None  # the progress whose line is open

    def __init__(self, quiet: bool):
        self.enabled = not quiet
        self._open: tuple[str, float] | None = None
        self._broken = False

    def __call__(self, stage: str, index: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        self._finish(now)
        click.echo(f"[{index + 1}/{total}] {stage}…", err=True, nl=False)
        self._open, self._broken = (stage, now), False
        StageProgress.active = self

    def _finish(self, now: float, failed: bool = False) -> None:
        if self._open is None:
            return
        stage, start = self._open
        took = "stopped" if failed else f"{now - start:.1f} s"
        click.echo(f"  ({stage}: {took})" if self._broken else f" {took}", err=True)
        self._open = None

    def interrupt(self) -> None:
        """End the open line: something else is about to be printed."""
        if self._open is not None and not self._broken:
            click.echo("", err=True)
            self._broken = True

    def close(self, failed: bool = False) -> None:
        self._finish(time.perf_counter(), failed)
        if StageProgress.active is self:
            StageProgress.active = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(failed=exc_type is not None)


def echo(message: str, quiet: bool) -> None:
    """Print to stdout unless ``quiet`` (direction controls shown escaped)."""
    if not quiet:
        from treedistill.common._text import show_controls

        click.echo(show_controls(message))


def warn(message: str, quiet: bool) -> None:
    """Print ``Warning: message`` on stderr unless ``quiet``."""
    if not quiet:
        click.echo(f"Warning: {one_line(message)}", err=True)


def print_json(obj) -> None:
    """One JSON object on stdout."""
    from treedistill.common._json import plain

    click.echo(json.dumps(plain(obj), sort_keys=True, allow_nan=False))


def quiet_warnings(quiet: bool) -> None:
    """Silence Python warnings for the rest of the command when ``quiet``."""
    if quiet:
        warnings.simplefilter("ignore")


# --------------------------------------------------------------------------- #
# Options shared by several commands
# --------------------------------------------------------------------------- #
#: ``--target``: the label column of the table a command reads.
target_option = click.option(
    "--target", required=True, metavar="COL", help="Column to predict."
)


def out_option(metavar: str, help: str, *, directory: bool = False):
    """The required ``--out`` option: the file (or, with ``directory``, the
    folder) a command writes."""
    return click.option(
        "--out",
        required=True,
        type=click.Path(file_okay=False) if directory else click.Path(dir_okay=False),
        metavar=metavar,
        help=help,
    )


#: ``--student``: which student of a saved run a command reads.
student_kind_option = click.option(
    "--student",
    "kind",
    type=click.Choice(STUDENT_KINDS),
    default=None,
    help="Which student of a run directory that holds both (default: the tree).",
)


# --------------------------------------------------------------------------- #
# Parsing helpers
# --------------------------------------------------------------------------- #
def split_list(value: str | list | tuple | None, option: str) -> list[str] | None:
    """``"a,b"`` (or a list) as a list of stripped, non-empty strings."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    out = [str(v).strip() for v in items]
    if not out or any(not v for v in out):
        raise click.UsageError(
            f"{option} must be a comma-separated list without empty items, "
            f"got {value!r}"
        )
    return out


def parse_int_list(value: str | list | tuple | None, option: str) -> list[int] | None:
    """``"256,128,64"`` as ``[256, 128, 64]``; every item must be a positive int."""
    items = split_list(value, option)
    if items is None:
        return None
    try:
        numbers = [int(v) for v in items]
    except ValueError:
        numbers = []
    if not numbers or any(n < 1 for n in numbers):
        raise click.UsageError(
            f"{option} must be comma-separated positive whole numbers such as "
            f"256,128,64; got {value!r}"
        )
    return numbers


# --------------------------------------------------------------------------- #
# Config files
# --------------------------------------------------------------------------- #
_PATH_KEYS = ("data", "out", "teacher")


def read_config(path: str, command: click.Command) -> dict:
    """Read a TOML config for ``command`` into a click ``default_map``.

    The file holds the command's options as keys (long option names, dashes or
    underscores), at top level or in a table named after the command. Relative
    paths (``data``, ``out``, ``teacher``) are read relative to the file's folder.
    Unknown keys raise a usage error naming the key.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise click.UsageError(f"--config file {path!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise click.UsageError(
            f"--config file {path!r} cannot be read: {one_line(exc)}"
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise click.UsageError(
            f"--config file {path!r} is not valid TOML: {one_line(exc)}"
        ) from None
    name = command.name
    section = doc.pop(name, None)
    if section is not None and not isinstance(section, dict):
        raise click.UsageError(
            f"--config file {path!r}: {name!r} must be a table ([{name}])"
        )
    allowed: dict[str, click.Parameter] = {}
    for param in command.params:
        if param.name in ("config", "help"):
            continue
        allowed[param.name] = param
        for flag in getattr(param, "opts", ()):
            if flag.startswith("--"):
                allowed[flag[2:].replace("-", "_")] = param
    shown = sorted(
        next((o[2:] for o in p.opts if o.startswith("--")), p.name)
        for p in command.params
        if p.name not in ("config", "help")
    )
    values: dict = {}
    for where, table in (("top level", doc), (f"[{name}]", section or {})):
        for key, value in table.items():
            norm = key.replace("-", "_")
            if norm not in allowed:
                raise click.UsageError(
                    f"unknown key {key!r} ({where}) in --config file {path!r}; "
                    f"known keys: {', '.join(shown)}"
                )
            param = allowed[norm]
            if param.name in values:
                raise click.UsageError(
                    f"key {key!r} is set twice in --config file {path!r}"
                )
            values[param.name] = _config_value(norm, value, param, file, path)
    return values


def _config_value(name, value, param: click.Parameter, file: Path, path: str):
    """A TOML value checked by the same rules as the option on the command line."""
    key = name.replace("_", "-")
    multiple = getattr(param, "multiple", False)
    listed = name in ("classes", "hidden")
    if isinstance(value, dict):
        raise click.UsageError(
            f"key {key!r} in --config file {path!r} must be a value, not a table"
        )
    if isinstance(value, list) and not multiple and not listed:
        raise click.UsageError(
            f"key {key!r} in --config file {path!r} takes one value, not a list"
        )
    if getattr(param, "is_flag", False):
        if not isinstance(value, bool):
            raise click.UsageError(
                f"key {key!r} in --config file {path!r} must be true or false, "
                f"got {value!r}"
            )
        return value
    items = value if isinstance(value, list) else [value]
    for item in items:
        _check_config_item(key, item, param, path)
    if listed and isinstance(value, list):
        value = ",".join(str(v) for v in value)
    elif multiple:
        value = [str(v) for v in items]
    else:
        value = str(value)
    if name in _PATH_KEYS:
        base = file.resolve().parent
        if isinstance(value, list):
            value = [str(base / Path(v).expanduser()) for v in value]
        else:
            value = str(base / Path(value).expanduser())
    return value


def _check_config_item(key: str, item, param: click.Parameter, path: str) -> None:
    """Refuse what the option would refuse: 3.9 for a whole number, true for a number."""
    if isinstance(item, (dict, list)) or (
        isinstance(item, bool) and not isinstance(param.type, click.types.BoolParamType)
    ):
        raise click.UsageError(
            f"key {key!r} in --config file {path!r}: {item!r} is not a valid value "
            f"for --{key}"
        )
    if (
        isinstance(item, str)
        and isinstance(
            param.type, (click.types.IntParamType, click.types.FloatParamType)
        )
        and item not in getattr(param.type, "words", ())
    ):  # values are not converted: "8" is text, as 3.9 is not a whole number
        raise click.UsageError(
            f"key {key!r} in --config file {path!r}: {item!r} is text, not a "
            f"number; write it without quotes"
        )
    try:
        param.type.convert(str(item), param, None)
    except click.BadParameter as exc:
        raise click.UsageError(
            f"key {key!r} in --config file {path!r}: {one_line(exc.message)}"
        ) from None


def config_callback(ctx: click.Context, param: click.Parameter, value):
    """Eager ``--config`` callback: load the file into the context's defaults."""
    if value is None or ctx.resilient_parsing:
        return value
    values = read_config(value, ctx.command)
    defaults = dict(ctx.default_map or {})
    defaults.update(values)
    ctx.default_map = defaults
    return value
