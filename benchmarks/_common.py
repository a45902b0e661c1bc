"""
What the benchmark modules share: running one of them on its own from the command line.

Versions, machine and date are written once, by ``run.py``, at the top of RESULTS.md.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def standalone(run: Callable[[bool], str], doc: str | None, quick_help: str) -> None:
    """Parse ``--quick`` and print the section ``run(quick)`` returns."""
    summary = (doc or "").strip().splitlines()
    parser = argparse.ArgumentParser(description=summary[0] if summary else None)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    print(run(parser.parse_args().quick))
