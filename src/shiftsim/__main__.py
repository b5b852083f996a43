"""``python -m shiftsim``: the ``shiftsim`` command where the console script is not on PATH."""

from shiftsim.cli import main

main()
