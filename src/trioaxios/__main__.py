"""
``python -m trioaxios`` / ``trioaxios``: the command line (``_cli``) and ``trioaxios demo``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    from ._cli import main as cli_main  # noqa: PLC0415 - keep `import trioaxios.__main__` light

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
