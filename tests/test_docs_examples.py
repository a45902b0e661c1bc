"""
Every code example in docs/**/*.md and README.md runs here, so the docs cannot rot.

How a fenced block is checked depends on its language and on the HTML comment on the line
just above its fence:

* A ```python block with no comment is executed. A block with the line ``trio.run(main)``
  talks to a server: that line is dropped and ``main()`` is awaited instead, inside a Trio
  run that serves the embedded demo app, whose URL replaces ``http://127.0.0.1:8000``. Any
  other block runs as it is (one that defines ``main()`` must call ``trio.run(main, ...)``
  itself, with a ``MockClock`` say).
* ``<!-- example: pytest -->``: the python block is a pytest module; it is written to a
  temporary directory and run by pytest (pytest-trio, ``trio_mode``) in a subprocess, and
  every test in it must pass.
* ``<!-- example: skip-run -->``: an illustrative python fragment, compiled only (syntax).
* ``<!-- example: cli -->``: each line of the block is a ``trioaxios ...`` command, run
  against the demo server; a trailing ``# exit N`` gives the expected exit status (else 0).
* ``<!-- output: trioaxios --help -->``: the block must equal what ``trioaxios --help``
  prints (80 columns).

Other blocks (``sh`` install commands, ``text`` diagrams, ``js``) are not code to run.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio

from trioaxios._demo_server import serve_demo_app

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = "http://127.0.0.1:8000"
PYTHON = ("python", "py")
MODES = ("run", "pytest", "skip-run", "cli", "output: trioaxios --help")
RUN_LIMIT = 30.0

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<ticks>`{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?:example:\s*)?(?P<mode>[^>]*?)\s*-->\s*$")
_TRIO_RUN_MAIN = re.compile(r"^trio\.run\(main\)\s*$", re.MULTILINE)
_EXIT = re.compile(r"#\s*exit\s+(?P<status>\d+)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, its marker (how to check it), its code."""

    path: str
    line: int
    language: str
    mode: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    """Return the fenced blocks of a Markdown file, dedented, with the marker above each."""
    lines = path.read_text(encoding="utf-8").splitlines()
    relative = path.relative_to(ROOT).as_posix()
    blocks = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, ticks = opening["indent"], opening["ticks"]
        language = opening["info"].strip().split(" ")[0].lower()
        body = []
        end = index + 1
        while end < len(lines) and lines[end].strip() != ticks:
            body.append(lines[end].removeprefix(indent))
            end += 1
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = _MARKER.match(previous)
        mode = marker["mode"] if marker else ("run" if language in PYTHON else "")
        code = textwrap.dedent("\n".join(body)) + "\n"
        blocks.append(Block(relative, index + 1, language, mode, code))
        index = end + 1
    return blocks


PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
BLOCKS = [block for page in PAGES for block in fenced_blocks(page)]
PYTHON_BLOCKS = [block for block in BLOCKS if block.language in PYTHON]
RUN = [block for block in PYTHON_BLOCKS if block.mode == "run"]
PYTEST = [block for block in PYTHON_BLOCKS if block.mode == "pytest"]
SKIP_RUN = [block for block in PYTHON_BLOCKS if block.mode == "skip-run"]
CLI = [
    pytest.param(line, id=f"{block.id}+{number}")
    for block in BLOCKS
    if block.mode == "cli"
    for number, line in enumerate(block.code.splitlines())
    if line.strip()
]
HELP = [block for block in BLOCKS if block.mode == "output: trioaxios --help"]


def defines_async_main(code: str) -> bool:
    tree = ast.parse(code)
    return any(isinstance(node, ast.AsyncFunctionDef) and node.name == "main" for node in tree.body)


def exec_block(code: str, name: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - running the docs is the point
    return namespace


async def run_with_server(block: Block) -> None:
    """Execute the block with the demo server's URL in it, then await its main()."""
    async with serve_demo_app() as server:
        source = _TRIO_RUN_MAIN.sub("", block.code.replace(PLACEHOLDER, server.url))
        main = exec_block(source, block.id)["main"]
        with trio.fail_after(RUN_LIMIT):
            await main()  # type: ignore[operator]


# -- the inventory ---------------------------------------------------------------------------


def test_the_docs_have_examples_of_every_kind():
    """The extractor finds blocks to run, pytest modules, CLI commands, few skipped ones."""
    assert len(RUN) >= 20
    assert len(PYTEST) >= 3
    assert len(CLI) >= 3
    assert len(HELP) == 1
    assert len(SKIP_RUN) <= 3


def test_every_marker_names_a_known_mode():
    """A typo in an <!-- example: ... --> marker is an error, not a silent skip."""
    assert {block.mode for block in BLOCKS if block.mode} <= set(MODES)


def test_markers_sit_on_the_right_kind_of_block():
    """Python modes mark python blocks; cli and output markers mark non-python blocks."""
    for block in BLOCKS:
        if block.mode in {"pytest", "skip-run"}:
            assert block.language in PYTHON, block.id
        if block.mode in {"cli", "output: trioaxios --help"}:
            assert block.language not in PYTHON, block.id


# -- python blocks ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=lambda b: b.id)
def test_example_compiles(block):
    """Every python block, skipped or not, is valid Python."""
    compile(block.code, block.id, "exec")


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_example_runs(block):
    """The block runs to the end: against the demo server when it says trio.run(main)."""
    if _TRIO_RUN_MAIN.search(block.code):
        trio.run(run_with_server, block)
        return
    if defines_async_main(block.code):
        assert "trio.run(main" in block.code, "a block that defines main() must run it"
    exec_block(block.code, block.id)


PYTEST_INI = """\
[pytest]
trio_mode = true
filterwarnings = error
addopts = -p no:cacheprovider
"""

#: One line of pytest's -rA summary: "PASSED test_example_0.py::test_x", "SKIPPED [1] ...".
_SUMMARY = re.compile(
    r"^(?P<outcome>[A-Z]+) (?:\[\d+\] )?(?P<module>test_example_\d+)\.py\b", re.MULTILINE
)


@pytest.fixture(scope="module")
def pytest_outcomes(tmp_path_factory) -> tuple[dict[str, list[str]], str]:
    """Run every pytest block in one pytest subprocess; return outcomes per file, and output."""
    folder = tmp_path_factory.mktemp("docs_pytest")
    (folder / "pytest.ini").write_text(PYTEST_INI)
    for number, block in enumerate(PYTEST):
        (folder / f"test_example_{number}.py").write_text(block.code)
    result = subprocess.run(  # noqa: S603 - our own interpreter, our own files
        [sys.executable, "-m", "pytest", "-q", "-rA", "--rootdir", str(folder), str(folder)],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    outcomes: dict[str, list[str]] = {}
    for match in _SUMMARY.finditer(output):
        outcomes.setdefault(match["module"], []).append(match["outcome"])
    return outcomes, output


@pytest.mark.parametrize("number", range(len(PYTEST)), ids=[b.id for b in PYTEST])
def test_example_passes_under_pytest(number, pytest_outcomes):
    """The block is a test module: pytest (pytest-trio) runs it and every test passes."""
    outcomes, output = pytest_outcomes
    tests = outcomes.get(f"test_example_{number}")
    assert tests, output
    assert set(tests) == {"PASSED"}, output


# -- the command line ------------------------------------------------------------------------


def cli_environment() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.mark.parametrize("block", HELP, ids=lambda b: b.id)
def test_cli_help_matches_the_docs(block):
    """The usage text on the command-line page is exactly what `trioaxios --help` prints."""
    result = subprocess.run(
        [sys.executable, "-m", "trioaxios", "--help"],
        capture_output=True,
        text=True,
        env=cli_environment(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    printed = [line.rstrip() for line in (result.stdout + result.stderr).strip().splitlines()]
    documented = [line.rstrip() for line in block.code.strip().splitlines()]
    assert documented == printed


async def run_command(line: str) -> subprocess.CompletedProcess[bytes]:
    async with serve_demo_app() as server:
        words = shlex.split(line.replace(PLACEHOLDER, server.url), comments=True)
        assert words[0] == "trioaxios", line
        with trio.fail_after(RUN_LIMIT):
            return await trio.run_process(
                [sys.executable, "-m", "trioaxios", *words[1:]],
                capture_stdout=True,
                capture_stderr=True,
                check=False,
                env=cli_environment(),
            )


@pytest.mark.parametrize("line", CLI)
def test_cli_example_exits_as_documented(line):
    """Each documented command runs against the demo server and exits with its status."""
    expected = _EXIT.search(line)
    result = trio.run(run_command, line)
    status = int(expected["status"]) if expected else 0
    assert result.returncode == status, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    words = shlex.split(line, comments=True)
    if "--bearer" in words:  # the page says -v masks secrets
        token = words[words.index("--bearer") + 1].encode()
        assert token not in result.stderr
