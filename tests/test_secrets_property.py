"""No string form ever shows a secret: a property test over requests, responses, errors and logs.

Hypothesis draws sensitive header names (built-in, marked with ``sensitive_headers``, or
matched by a marker such as ``token``), credential query parameters, URL passwords and
``auth``, puts them in the defaults or in the call, and picks a server behaviour that ends in
a response or in one of the error codes. Then ``str``, ``repr``, ``to_json()``,
``traceback.format_exception`` (chained) and every log record at DEBUG are searched for each
secret, raw and encoded (RELIABILITY T35, DESIGN §2).
"""

from __future__ import annotations

import base64
import json
import logging
import string
import traceback
from urllib.parse import quote, quote_plus, urlencode

import httpx2
import trio
from hypothesis import given, settings
from hypothesis import strategies as st

import trioaxios
from trioaxios import AxiosError
from trioaxios._redact import SENSITIVE_HEADERS, SENSITIVE_QUERY_PARAMS

#: Secrets start with "zq" and plain values never contain z or q: no accidental matches.
_SECRET_CHARS = string.ascii_letters + string.digits + "-._~!$&()*+,;=:@/?#%'"
_PLAIN_CHARS = "".join(c for c in string.ascii_letters + string.digits if c not in "zqZQ")

secrets = st.text(_SECRET_CHARS, min_size=6, max_size=16).map(lambda s: f"zq{s}")
plain = st.text(_PLAIN_CHARS, min_size=1, max_size=8)


def random_case(name: str, data: st.DataObject) -> str:
    flips = data.draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(name, flips, strict=True))


def forms(secret: str) -> set[str]:
    """Every spelling of a secret that would give it away."""
    return {secret, quote(secret, safe=""), quote_plus(secret), quote(secret)}


SCENARIOS = (
    "ok",
    "status_401",
    "status_500",
    "bad_json",
    "network",
    "engine_timeout",
    "too_many_redirects",
    "cross_origin_redirect",
    "invalid_url",
    "bad_option",
    "canceled",
)


def handler_for(scenario: str, cookie_secret: str, location_secret: str):
    def handler(request: httpx2.Request) -> httpx2.Response:
        cookie = {"set-cookie": f"sid={quote(cookie_secret, safe='')}; Path=/"}
        if scenario == "network":
            raise httpx2.ConnectError("connection refused")
        if scenario == "engine_timeout":
            raise httpx2.ReadTimeout("timed out")
        if scenario in {"status_401", "status_500"}:
            return httpx2.Response(int(scenario[-3:]), headers=cookie, json={"e": 1})
        if scenario == "bad_json":
            return httpx2.Response(
                200, headers={**cookie, "content-type": "application/json"}, content=b"{nope"
            )
        if scenario == "too_many_redirects":
            return httpx2.Response(302, headers={"location": "/v1/again"})
        if scenario == "cross_origin_redirect" and request.url.host == "a.test":
            target = f"http://b.test/x?access_token={quote(location_secret, safe='')}"
            return httpx2.Response(302, headers={**cookie, "location": target})
        return httpx2.Response(200, headers=cookie, json={"ok": True})

    return handler


@st.composite
def cases(draw):
    data = draw(st.data())
    builtin = random_case(draw(st.sampled_from(sorted(SENSITIVE_HEADERS))), data)
    marked = "X-Prop-" + draw(plain)  # registered through sensitive_headers
    marker = f"X-{draw(plain)}-{draw(st.sampled_from(['Token', 'SECRET', 'api-key', 'Session']))}"
    param = random_case(draw(st.sampled_from(sorted(SENSITIVE_QUERY_PARAMS))), data)
    marked_param = "prop_" + draw(plain)
    values = draw(st.lists(secrets, min_size=9, max_size=9, unique=True))
    header_values = dict(zip((builtin, marked, marker), values[:3], strict=True))
    in_defaults = draw(st.sets(st.sampled_from(list(header_values))))
    return {
        "scenario": draw(st.sampled_from(SCENARIOS)),
        "absolute": draw(st.booleans()),
        "default_headers": {k: v for k, v in header_values.items() if k in in_defaults},
        "call_headers": {k: v for k, v in header_values.items() if k not in in_defaults},
        "plain_headers": {f"X-Plain-{draw(plain)}": draw(plain)},
        "marked": marked,
        "marked_param": marked_param,
        "query": [(param, values[3]), (marked_param, values[4]), ("page", draw(plain))],
        "fragment_token": values[5],
        "password": values[6],
        "auth_password": values[7],
        "cookie": values[8],
        "location": draw(secrets),
    }


def secret_forms(case) -> set[str]:
    found: set[str] = set()
    for value in [
        *case["default_headers"].values(),
        *case["call_headers"].values(),
        *(v for _, v in case["query"][:2]),
        case["fragment_token"],
        case["password"],
        case["auth_password"],
        case["cookie"],
        case["location"],
    ]:
        found |= forms(value)
    found.add(base64.b64encode(f"user:{case['auth_password']}".encode()).decode())
    return found


async def run_case(case, log: list[str]) -> list[str]:
    """Send the case's request; return every string form of what came back."""
    scenario = case["scenario"]
    handler = handler_for(scenario, case["cookie"], case["location"])
    query = urlencode(case["query"])
    userinfo = f"user:{quote(case['password'], safe='')}@"
    fragment = urlencode([("id_token", case["fragment_token"])])
    path = f"items?{query}#{fragment}"
    url = f"http://{userinfo}a.test/v1/{path}" if case["absolute"] else path
    if scenario == "invalid_url":
        url = f"ftp://{userinfo}a.test/file?{query}"
    options = {"headers": {**case["call_headers"], **case["plain_headers"]}}
    if scenario == "bad_option":
        options["headers"] = {**options["headers"], case["marked"]: "zq-injected\r\nX: 1"}
    if scenario == "too_many_redirects":
        options["max_redirects"] = 2
    if scenario == "canceled":
        source = trioaxios.CancelToken.source()
        source.cancel("the user left")
        options["cancel_token"] = source.token
    shown: list[str] = []
    async with trioaxios.create(
        base_url="http://a.test/v1/",
        transport=httpx2.MockTransport(handler),
        headers=case["default_headers"],
        auth=("user", case["auth_password"]),
        sensitive_headers=[case["marked"]],
        sensitive_params=[case["marked_param"]],
    ) as api:
        shown += [repr(api.defaults), repr(api.defaults.headers)]
        try:
            pending = api.get(url, **options)
            shown.append(repr(pending))
            response = await pending
        except AxiosError as error:
            shown += [
                str(error),
                repr(error),
                json.dumps(error.to_json()),
                "".join(traceback.format_exception(error)),
                repr(error.config),
                repr(error.request),
                repr(error.response),
            ]
            for part in (error.config, error.request, error.response):
                if part is not None:
                    shown.append(repr(part.headers))
        else:
            shown += [
                str(response),
                repr(response),
                repr(response.headers),
                repr(response.request),
                repr(response.request.headers),
                repr(response.config),
                repr(response.config.headers),
            ]
    return shown + log


class ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_no_secret_appears_in_any_string_form_or_log(case):
    """Whatever the secrets and the outcome, no str/repr/to_json/traceback/log line shows one."""
    log: list[str] = []
    handler = ListHandler(log)
    root = logging.getLogger()
    engine = [logging.getLogger(n) for n in ("httpx2", "httpcore2.http11", "httpcore2.connection")]
    levels = [logger.level for logger in engine]
    root.addHandler(handler)
    for logger in engine:
        logger.setLevel(logging.DEBUG)
    try:
        shown = trio.run(run_case, case, log)
    finally:
        root.removeHandler(handler)
        for logger, level in zip(engine, levels, strict=True):
            logger.setLevel(level)
    text = "\n".join(shown)
    if case["scenario"] not in {
        "bad_option",
        "invalid_url",
        "canceled",
        "network",
        "engine_timeout",
    }:
        assert "HTTP Request" in text  # the engine's log line was captured, and checked
    for secret in secret_forms(case):
        assert secret not in text, (secret, case["scenario"])
