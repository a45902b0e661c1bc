"""
The single entry point: `nox -s lint typecheck tests`, `nox -s demo`, `nox -s bench`.

Each session installs what it needs into its own virtualenv.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite (real loopback servers, hypothesis, MockClock)."""
    session.install("-e", ".[demo,cli]", *_group("test"))
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and formatting."""
    session.install(*_group("lint"))
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy in strict mode on the package."""
    session.install("-e", ".[demo]", *_group("typecheck"))
    session.run("mypy", "--strict", "src")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo against an embedded server on 127.0.0.1."""
    session.install(".[demo]")
    session.run("python", "-m", "trioaxios", "demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (``nox -s bench -- --quick`` for a short run)."""
    session.install(".[demo]", *_group("bench"))
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation with mkdocs; any warning fails the build."""
    session.install("-e", ".[demo,cli]", *_group("docs"))
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")
