"""
``python -m trioaxios`` / ``trioaxios``: the command line.

For now it has one command, ``demo``; the HTTP commands (``get``, ``post``...) are planned.
"""

from __future__ import annotations

import sys

USAGE = """usage: trioaxios demo

  demo    start an embedded server on 127.0.0.1 and show every feature live

The HTTP commands (trioaxios get URL, post, ...) are not available yet."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["demo"] and len(args) == 1:
        from ._demo import main as demo_main  # noqa: PLC0415 - imports rich and hypercorn

        return demo_main()
    print(USAGE, file=sys.stderr)  # noqa: T201 - command-line output
    return 0 if args[:1] in (["-h"], ["--help"]) else 2


if __name__ == "__main__":
    sys.exit(main())
