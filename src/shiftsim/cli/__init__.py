"""The ``shiftsim`` command line. Thin: each command imports its implementation lazily.

One module per group of commands: :mod:`.run` (run, report, validate),
:mod:`.compare` (compare, check), :mod:`.staff`, :mod:`.logs` (measure, fit);
what they share is in :mod:`._common`. They import only click at first, so
``shiftsim --help`` starts fast.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from typing import Any


def _interrupted_at_start(signum: int, frame: object) -> None:
    os.write(2, b"\nInterrupted.\n")
    os._exit(130)


# The console script: a Ctrl-C while Python is still importing the command line ends it
# quietly (until main() takes Ctrl-C over); nothing has been done yet that could be lost.
if os.path.basename(sys.argv[0] if sys.argv else "") == "shiftsim":
    signal.signal(signal.SIGINT, _interrupted_at_start)

import click  # noqa: E402

__all__ = ["main"]


class _Commands(click.Group):
    """The command group. Exit codes: 0 done, 1 bad input (a usage error too), 2 a target
    missed with ``--fail-on-miss``, 3 ``staff`` cannot meet a requirement, 130 interrupted.

    Click gives usage errors code 2; here they are bad input like any other (1),
    so that 2 always means a missed target.
    """

    def main(
        self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, **extra: Any,
    ) -> Any:  # fmt: skip
        run = functools.partial(super().main, args, prog_name, complete_var, False, **extra)
        if not standalone_mode:
            return run()
        try:
            rv: Any = run()
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(0)
        except click.UsageError as exc:
            exc.show()
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The console script: from the start, a first Ctrl-C interrupts (KeyboardInterrupt)
        # and a second ends the process at once, even while Python shuts down.
        from shiftsim.analysis.interrupts import Interrupts

        try:
            with Interrupts(hard_exit=True, farewell=lambda: "Stopped."):
                return self.main(*args, **kwargs)
        finally:
            # The command is over, its files written: a Ctrl-C while Python shuts down has
            # nothing left to stop. Ignored: Python resets its own handlers to the default
            # at shutdown, and the process would die of the signal (exit code -2).
            signal.signal(signal.SIGINT, signal.SIG_IGN)


@click.group(cls=_Commands)
@click.version_option(package_name="shiftsim")
def main() -> None:
    """Size the staff of a 24-hour customer-service center by simulating it."""


def _add_commands() -> None:
    # Here, not in the command modules: they need not know the group they belong to.
    from shiftsim.cli import compare, logs, run, staff

    for command in (
        run.run, run.report_command, run.validate, compare.compare, compare.check,
        staff.staff, logs.measure_command, logs.fit_command,
    ):  # fmt: skip
        main.add_command(command)


_add_commands()
