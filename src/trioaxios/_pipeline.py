"""
The middleware onion (koa ``compose``, umi-request style).

``async def mw(ctx, next)``: code before ``await next()`` runs on the way in, code after it on
the way out with ``ctx.res`` set. A middleware may short-circuit by setting ``ctx.res``
without calling ``next()``. A second plain ``next()`` is a bug and raises; ``next(retry=True)``
sends again (the inner onion and the transport), closing the previous ``ctx.res`` first.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ._interceptors import handler_name

if TYPE_CHECKING:
    from ._config import RequestConfig
    from ._models import Response


class Next(Protocol):
    """The ``next`` a middleware receives."""

    def __call__(self, *, retry: bool = False) -> Awaitable[None]:
        """Run the rest of the onion; ``retry=True`` to run it again."""


Middleware = Callable[["Context", Next], "Awaitable[None] | None"]


class Context:
    """
    What a middleware sees.

    ``ctx.req`` is this request's config, ``ctx.res`` the response (after ``next()``),
    ``ctx.client`` the client. Set any other attribute to carry per-request data.
    """

    req: RequestConfig
    res: Response | None
    client: Any
    attempts: int

    def __init__(self, req: RequestConfig, client: Any) -> None:
        self.req = req
        self.res = None
        self.client = client
        self.attempts = 0

    def __repr__(self) -> str:
        """Show the request and the response, if any."""
        return f"<Context req={self.req!r} res={self.res!r}>"


async def run_onion(
    middleware: Sequence[Middleware],
    ctx: Context,
    terminal: Callable[[Context], Awaitable[None]],
) -> None:
    """Run ``middleware`` around ``terminal`` (the transport step)."""
    count = len(middleware)

    async def dispatch(index: int) -> None:
        if index == count:
            ctx.attempts += 1
            await terminal(ctx)
            return
        mw = middleware[index]
        called = False

        async def next_(*, retry: bool = False) -> None:
            nonlocal called
            if called:
                if not retry:
                    msg = (
                        f"middleware {handler_name(mw)} called next() twice; to send the "
                        "request again, call next(retry=True)"
                    )
                    raise RuntimeError(msg)
                if ctx.res is not None:
                    await ctx.res.aclose()
                    ctx.res = None
            called = True
            await dispatch(index + 1)

        result = mw(ctx, next_)
        if inspect.isawaitable(result):
            await result

    await dispatch(0)
