"""
Run every ``benchmarks/bench_*.py`` and write the results to ``benchmarks/RESULTS.md``.

Each module defines ``run(quick: bool) -> str`` returning a markdown section. Modules run in
name order; each section is printed as it completes. A module that fails gets a section saying
so, the others still run, and the exit status is 1.

Usage::

    python benchmarks/run.py            # full runs
    python benchmarks/run.py --quick    # short runs, for a smoke test
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import sys
import time
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from _servers import server_software

if TYPE_CHECKING:
    from types import ModuleType

HERE = Path(__file__).resolve().parent


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def load(path: Path) -> ModuleType:
    """Import a benchmark module from its file path."""
    name = f"_trioaxios_benchmark_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        msg = f"cannot import {path}"
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def header(*, quick: bool) -> str:
    """The top of RESULTS.md: when, with what, on what."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    python = f"{platform.python_implementation()} {platform.python_version()}"
    packages = ("trioaxios", "trio", "httpx2", "httpcore2", "httpx", "httpcore", "aiohttp")
    versions = ", ".join(f"{package} {_version(package)}" for package in packages)
    versions += f"; server {server_software()}; matplotlib {_version('matplotlib')}"
    command = "python benchmarks/run.py" + (" --quick" if quick else "")
    return "\n".join(
        [
            "# trioaxios benchmarks",
            "",
            f"- Date: {now}",
            f"- Software: {python}; {versions}",
            (
                f"- Machine: {platform.platform()}, {platform.machine()}, "
                f"{os.cpu_count()} CPUs (os.cpu_count())"
            ),
            f"- Command: `{command}` ({'quick' if quick else 'full'} mode)",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument(
        "--output", type=Path, default=HERE / "RESULTS.md", help="where to write the results"
    )
    args = parser.parse_args(argv)
    paths = sorted(HERE.glob("bench_*.py"))
    if not paths:
        print(f"no bench_*.py modules in {HERE}", file=sys.stderr)
        return 1
    sections = [header(quick=args.quick)]
    failed = []
    for path in paths:
        print(f"-- {path.name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            section = load(path).run(args.quick)
        except Exception:
            failed.append(path.name)
            section = f"## {path.name}: FAILED\n\n```\n{traceback.format_exc()}```\n"
        took = time.perf_counter() - started
        print(f"-- {path.name} took {took:.1f} s", file=sys.stderr, flush=True)
        print(section, flush=True)
        sections.append(section.rstrip("\n") + "\n")
    args.output.write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
