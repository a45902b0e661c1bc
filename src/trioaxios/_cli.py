"""
``trioaxios METHOD URL [options]``: the command line, for curl and httpie users.

Examples::

    trioaxios get https://api.example.com/users -q page=2 -H 'Accept: application/json'
    trioaxios post https://api.example.com/users --json '{"name": "Fred"}' --bearer "$TOKEN"
    trioaxios post https://api.example.com/login --form user=fred --form password=hunter2
    trioaxios put https://api.example.com/me/avatar --file avatar=@me.png --form alt=Me
    trioaxios get https://example.com/big.iso -o big.iso
    trioaxios demo

The body goes to stdout: on a terminal, JSON is pretty-printed and coloured and text is shown
as text; piped or redirected, it is the body's exact bytes. A response with an error status
still prints its body (the API's error message) before the command fails. ``-o FILE`` writes
the body to a temporary file next to FILE, renamed to FILE once complete: on failure or
Ctrl-C it is removed, and an existing FILE is left as it was. ``-v`` writes the request and
response headers to stderr with secrets masked (``Authorization``, cookies, credential query
parameters). A URL without a scheme gets ``http://``; ``:8000/x`` means localhost.

Colours and progress bars need rich (``pip install 'trioaxios[cli]'``). Without it the
command works the same with plain output: JSON indented without colour, and no progress bars.

Ctrl-C cancels the request structurally (a signal watcher cancels the scope the request runs
in), removes a partial ``-o`` file, and exits 130 without a traceback. On a terminal, a body
whose type is not text (images, archives) is not printed; a note says to use ``-o`` or a pipe.

Exit status (the same table ends ``--help``); a failure prints exactly one line on stderr,
``trioaxios: CODE: message``, naming the axios code:

====  ==========================================================================
0     success: the server answered 2xx
1     internal error (a bug: the traceback is printed)
2     usage: a bad option or value (argparse, ``ERR_BAD_OPTION``, ``ERR_BAD_OPTION_VALUE``)
3     invalid URL (``ERR_INVALID_URL``)
4     the server answered 4xx (``ERR_BAD_REQUEST``)
5     the server answered 5xx (``ERR_BAD_RESPONSE``)
6     network error: no connection, connection lost (``ERR_NETWORK``)
7     timeout (``ECONNABORTED``, ``ETIMEDOUT``)
8     any other failure, e.g. too many redirects (``ERR_FR_TOO_MANY_REDIRECTS``)
9     the output could not be written (``-o FILE``; stdout closed early, silently)
130   interrupted (Ctrl-C, ``ERR_CANCELED``): the request is cancelled, a partial file removed
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import trio

from ._cli_output import Bars, Output, OutputError, download, has_rich
from ._client import create
from ._config import default_validate_status
from ._dispatch import settle
from ._errors import (
    ECONNABORTED,
    ERR_BAD_OPTION,
    ERR_BAD_OPTION_VALUE,
    ERR_BAD_REQUEST,
    ERR_BAD_RESPONSE,
    ERR_INVALID_URL,
    ERR_NETWORK,
    ETIMEDOUT,
    AxiosError,
)
from ._forms import MULTIPART, URLENCODED, form_type, multipart_length
from ._headers import Headers
from ._transports import boundary_from_content_type
from ._version import __version__

if TYPE_CHECKING:
    from ._models import Response

METHODS: Final = ("get", "post", "put", "patch", "delete", "head", "options")

EXIT_OK: Final = 0
EXIT_USAGE: Final = 2
EXIT_INVALID_URL: Final = 3
EXIT_CLIENT_ERROR: Final = 4
EXIT_SERVER_ERROR: Final = 5
EXIT_NETWORK: Final = 6
EXIT_TIMEOUT: Final = 7
EXIT_OTHER: Final = 8
EXIT_OUTPUT: Final = 9
EXIT_INTERRUPTED: Final = 130

EXIT_STATUS_TABLE: Final = """\
exit status:
  0    success: the server answered 2xx
  1    internal error (a bug: the traceback is printed; please report it)
  2    usage: a bad option or value (ERR_BAD_OPTION, ERR_BAD_OPTION_VALUE)
  3    invalid URL (ERR_INVALID_URL)
  4    the server answered 4xx (ERR_BAD_REQUEST)
  5    the server answered 5xx (ERR_BAD_RESPONSE)
  6    network error: no connection, connection lost (ERR_NETWORK)
  7    timeout (ECONNABORTED, ETIMEDOUT)
  8    any other failure, e.g. too many redirects (ERR_FR_TOO_MANY_REDIRECTS)
  9    the output could not be written (-o FILE, or stdout closed early)
  130  interrupted (Ctrl-C): the request is cancelled, a partial -o file removed

A failure prints one line on stderr that names the axios code, e.g.
  trioaxios: ERR_BAD_REQUEST: Request failed with status code 404
Colours and progress bars need rich: pip install 'trioaxios[cli]' (plain output without)."""

_USAGE: Final = (
    "trioaxios demo\n       trioaxios {get,post,put,patch,delete,head,options} URL [options]"
)
_FIRST_CLIENT_ERROR: Final = 400
_FIRST_SERVER_ERROR: Final = 500


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (its ``--help`` ends with the exit-status table)."""
    parser = argparse.ArgumentParser(
        prog="trioaxios",
        usage=_USAGE,
        description="Send an HTTP request the axios way, on Trio and httpx2.",
        epilog=EXIT_STATUS_TABLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "method",
        metavar="METHOD",
        type=str.lower,
        choices=(*METHODS, "demo"),
        help="get, post, put, patch, delete, head or options; "
        "or demo (a live tour against an embedded server)",
    )
    parser.add_argument("url", metavar="URL", nargs="?", help="the URL (http:// if omitted)")
    add = parser.add_argument
    add("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
        help="add a header (repeatable); 'NAME:' removes a default one")  # fmt: skip
    add("-q", "--query", action="append", default=[], metavar="NAME=VALUE",
        help="add a query parameter (repeatable)")  # fmt: skip
    body = parser.add_argument_group("request body (choose one kind)")
    body.add_argument("--json", metavar="JSON", help="send JSON (Content-Type: application/json)")
    body.add_argument("--form", action="append", default=[], metavar="NAME=VALUE",
        help="send a form field, urlencoded (repeatable); with --file, multipart")  # fmt: skip
    body.add_argument("--file", action="append", default=[], metavar="NAME=@PATH[;type=MIME]",
        help="send a file as multipart/form-data, streamed from disk (repeatable)")  # fmt: skip
    add("--bearer", metavar="TOKEN", help="send 'Authorization: Bearer TOKEN'")
    add("--timeout", metavar="SECONDS", type=float,
        help="fail after SECONDS, from sending to the last byte of the body")  # fmt: skip
    add("-o", "--output", metavar="FILE", help="write the body to FILE, with a progress bar")
    add("-v", "--verbose", action="store_true",
        help="print the request and response headers to stderr (secrets masked)")  # fmt: skip
    add("--version", action="version", version=f"trioaxios {__version__}")
    return parser


# -- arguments -> request config ----------------------------------------------------------


def _usage_error(message: str) -> AxiosError:
    return AxiosError(message, ERR_BAD_OPTION_VALUE)


def _pair(raw: str, option: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not name:
        msg = f"{option} wants NAME=VALUE, got {raw!r}"
        raise _usage_error(msg)
    return name, value


def _header(raw: str) -> tuple[str, str | None]:
    name, sep, value = raw.partition(":")
    if not sep or not name.strip():
        msg = f"-H wants 'NAME: VALUE', got {raw[:60]!r}"
        raise _usage_error(msg)
    value = value.strip()
    return name.strip(), value or None  # "Name:" suppresses a default, as in curl


def _file(raw: str) -> tuple[str, tuple[str, Path, str | None]]:
    name, sep, spec = raw.partition("=@")
    if not sep or not name or not spec:
        msg = f"--file wants NAME=@PATH (use --form for plain fields), got {raw!r}"
        raise _usage_error(msg)
    path_text, _, content_type = spec.partition(";type=")
    path = Path(path_text).expanduser()
    if not path.is_file() or not os.access(path, os.R_OK):
        msg = f"--file {name}=@{path_text}: not a readable file"
        raise _usage_error(msg)
    return name, (path.name, path, content_type or None)


def _url(raw: str) -> str:
    if raw.startswith(":"):  # httpie's shorthand: ":8000/x" is http://localhost:8000/x
        rest = raw[1:]
        return "http://localhost" + (":" + rest if rest[:1].isdigit() else rest)
    return raw if "://" in raw else "http://" + raw


def request_config(args: argparse.Namespace) -> dict[str, Any]:
    """
    Turn the parsed arguments into a request config (``validate_status`` is checked here).

    Raises:
        AxiosError: ``ERR_BAD_OPTION_VALUE`` for a malformed option.
    """
    headers = Headers([_header(raw) for raw in args.header])
    if args.bearer is not None:
        headers["Authorization"] = f"Bearer {args.bearer}"
    config: dict[str, Any] = {
        "method": args.method,
        "url": _url(args.url),
        "params": [_pair(raw, "-q") for raw in args.query] or None,
        "timeout": args.timeout,
        "validate_status": None,
    }
    if args.json is not None and (args.form or args.file):
        msg = "--json cannot be combined with --form or --file: choose one kind of body"
        raise _usage_error(msg)
    if args.json is not None:
        try:
            value = json.loads(args.json)
        except ValueError as exc:
            msg = f"--json is not valid JSON: {exc}"
            raise _usage_error(msg) from None
        config["data"] = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        if "content-type" not in headers:
            headers["Content-Type"] = "application/json"
    elif args.form or args.file:
        fields: list[tuple[str, Any]] = [_pair(raw, "--form") for raw in args.form]
        fields.extend(_file(raw) for raw in args.file)
        config["data"] = fields
        if form_type(headers.get("content-type", "")) is None:  # -H may choose the form type
            # The boundary is chosen here so that the upload bar knows the body's size.
            boundary = f"; boundary={secrets.token_hex(16)}"
            headers["Content-Type"] = MULTIPART + boundary if args.file else URLENCODED
    config["headers"] = headers
    return config


# -- failures -----------------------------------------------------------------------------


_STATUS_OF_CODE: Final = {
    ERR_BAD_OPTION: EXIT_USAGE,
    ERR_BAD_OPTION_VALUE: EXIT_USAGE,
    ERR_INVALID_URL: EXIT_INVALID_URL,
    ERR_NETWORK: EXIT_NETWORK,
    ECONNABORTED: EXIT_TIMEOUT,
    ETIMEDOUT: EXIT_TIMEOUT,
}


def exit_status(error: AxiosError) -> int:
    """Return the exit status for ``error`` (the table in ``EXIT_STATUS_TABLE``)."""
    status = error.status
    if error.code in (ERR_BAD_REQUEST, ERR_BAD_RESPONSE) and status is not None:
        if _FIRST_CLIENT_ERROR <= status < _FIRST_SERVER_ERROR:
            return EXIT_CLIENT_ERROR
        if status >= _FIRST_SERVER_ERROR:
            return EXIT_SERVER_ERROR
    return _STATUS_OF_CODE.get(error.code or "", EXIT_OTHER)


def _say(code: str, message: str) -> None:
    sys.stderr.write(f"trioaxios: {code}: {message}\n")
    sys.stderr.flush()


def _report(error: AxiosError) -> int:
    _say(error.code or "error", error.message)
    return exit_status(error)


def _status_error(response: Response) -> AxiosError | None:
    """The error the library's default ``validate_status`` gives this response, if any."""
    response.config.validate_status = default_validate_status
    try:
        settle(response)
    except AxiosError as error:
        return error
    return None


# -- running ------------------------------------------------------------------------------


async def _exchange(
    args: argparse.Namespace, config: dict[str, Any], output: Output, bars: Bars | None
) -> int:
    """Send the request and print or save the response; return the exit status."""
    failure: AxiosError | None = None
    shown = False
    try:
        try:
            async with create() as api, api.request(config) as response:
                output.exchange(response.request, response)
                shown = True
                failure = _status_error(response)
                if args.method == "head":
                    output.head(response)
                elif args.output is not None and failure is None:
                    await download(response, Path(args.output), bars)
                else:
                    await output.body(response)
        finally:
            if bars is not None:
                bars.close()
    except AxiosError as error:
        if not shown:
            output.exchange(error.request, None)
        failure = error
    except OutputError as error:
        _say("error", str(error))
        return EXIT_OUTPUT
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OUTPUT
    except OSError as error:  # e.g. a --file that became unreadable while it was sent
        _say("error", str(error))
        return EXIT_OTHER
    return EXIT_OK if failure is None else _report(failure)


async def run(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """
    Run one request under a SIGINT watcher; return the exit status.

    Ctrl-C cancels the nursery the request runs in: the request is cancelled the Trio way
    (cleanup runs, a partial ``-o`` file is removed) and the status is 130.
    """
    rich = has_rich()
    output = Output(verbose=args.verbose, rich=rich)
    bars = Bars() if rich and (args.output is not None or args.file) else None
    if bars is not None and args.output is not None:
        config["on_download_progress"] = bars.callback(Path(args.output).name, download=True)
    if bars is not None and args.file:
        boundary = boundary_from_content_type(config["headers"].get("content-type", ""))
        size = None if boundary is None else await multipart_length(config["data"], boundary)
        config["on_upload_progress"] = bars.callback("upload", download=False, total=size)
    interrupted = False
    status = EXIT_INTERRUPTED
    with trio.open_signal_receiver(signal.SIGINT) as signals:
        async with trio.open_nursery() as nursery:

            async def watch_sigint() -> None:
                nonlocal interrupted
                async for _ in signals:
                    interrupted = True
                    nursery.cancel_scope.cancel()
                    return

            nursery.start_soon(watch_sigint)
            status = await _exchange(args, config, output, bars)
            nursery.cancel_scope.cancel()
    if interrupted:
        removed = "; the partial download was removed" if args.output is not None else ""
        _say("ERR_CANCELED", f"interrupted (Ctrl-C): the request was cancelled{removed}")
        return EXIT_INTERRUPTED
    return status


def main(argv: list[str] | None = None) -> int:
    """Run ``trioaxios`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        if args.method == "demo":
            if args.url is not None:
                parser.error("demo takes no URL")
            from ._demo import main as demo_main  # noqa: PLC0415 - imports rich and hypercorn

            return demo_main()
        if args.url is None:
            parser.error(f"{args.method} needs a URL")
        return trio.run(run, args, request_config(args))
    except AxiosError as error:
        return _report(error)
    except KeyboardInterrupt:
        _say("ERR_CANCELED", "interrupted (Ctrl-C)")
        return EXIT_INTERRUPTED
