"""What the terminal shows is never cut short: no figure ends in an ellipsis.

Rich shortens a cell that does not fit its column to ``…`` by default, which
cut confidence intervals (``(43219-4493…``) in `shiftsim run`'s channel table
and pool names in `shiftsim staff`'s roster, which was also printed at 80
columns into files and pipes, where `run` and `compare` write 150.
"""

from __future__ import annotations

import io

from rich.console import Console

from shiftsim.analysis.runner import simulate
from shiftsim.model.loading import load_scenario, parse_scenario
from shiftsim.outputs.console import print_report
from shiftsim.outputs.staffing import print_staffing
from shiftsim.planning.staffing import staff
from shiftsim.planning.theory_cases import _center


def _printed(show, result, width: int, terminal: bool) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=terminal, color_system=None)
    show(result, console)
    return buf.getvalue()


def test_staff_tables_are_whole_in_a_pipe_and_in_a_narrow_terminal() -> None:
    center = _center(agents=23, per_second=6.0 / 300, handle=300, within=20.0, days=3,
                     replications=6, seed=5, patience=None)  # fmt: skip
    result = staff(parse_scenario(center))
    piped = _printed(print_staffing, result, 80, terminal=False)
    assert "…" not in piped
    assert max(len(line) for line in piped.splitlines()) > 80  # as wide as `run` writes
    narrow = _printed(print_staffing, result, 60, terminal=True)
    assert "…" not in narrow
    assert "agents" in narrow  # the pool's name, whole


def test_run_tables_fold_figures_instead_of_cutting_them() -> None:
    sc = load_scenario("scenarios/minimal.yaml", {"replications": 3, "horizon.days": 2})
    result = simulate(sc, workers=1)
    text = _printed(print_report, result, 70, terminal=True)
    assert "…" not in text


def test_run_tables_split_no_word_where_they_fit() -> None:
    # At 150 columns the channel table's header "first-contact res." came out as
    # "first-contac" / "t res.": rich narrowed that column below its longest word
    # though the table fits with every word whole.
    sc = load_scenario("scenarios/holiday.yaml", {"replications": 2, "horizon.days": 2})
    text = _printed(print_report, simulate(sc, workers=1), 150, terminal=False)
    assert "first-contact" in text
    assert "containment" in text and "abandonment" in text


def test_a_difference_rounded_to_zero_reads_plus_zero() -> None:
    from shiftsim.outputs.console import _diff

    assert _diff(-0.0001, -0.0004, 0.0) == "[dim]+0.0 pts (+0.0 to +0.0)[/dim]"
    assert _diff(0.123, 0.05, 0.2) == "[green]+12.3 pts (+5.0 to +20.0)[/green]"
    assert _diff(-0.05, -0.08, -0.02) == "[red]-5.0 pts (-8.0 to -2.0)[/red]"


def test_whole_words_never_makes_a_table_wider_than_the_console() -> None:
    # Random tables (boxes with and without edges, none, long words) at random
    # widths: keeping words whole must never push a table past the console,
    # where the terminal would wrap every line of it.
    import random

    from rich import box
    from rich.table import Table

    from shiftsim.outputs.console import _whole_words

    rng = random.Random(1)
    for _ in range(200):
        width = rng.randint(30, 160)
        table = Table(box=rng.choice([None, box.SIMPLE_HEAD, box.HEAVY_HEAD, box.ROUNDED]),
                      show_edge=rng.random() < 0.5)  # fmt: skip
        n = rng.randint(1, 9)
        for _ in range(n):
            words = (rng.choice("hx") * rng.randint(1, 12) for _ in range(rng.randint(1, 3)))
            table.add_column(" ".join(words), overflow="fold")
        for _ in range(3):
            table.add_row(*(" ".join("x" * rng.randint(1, 14) for _ in range(2)) for _ in range(n)))
        buf = io.StringIO()
        console = Console(file=buf, width=width, color_system=None)
        console.print(_whole_words(table, console))
        assert max(len(line) for line in buf.getvalue().splitlines()) <= width
