"""
trioaxios: the axios experience for Python, on Trio and httpx2.
"""

from __future__ import annotations

from ._api import OneShotRequest as OneShotRequest
from ._api import all as all  # noqa: A004 - axios's name
from ._api import delete as delete
from ._api import get as get
from ._api import head as head
from ._api import options as options
from ._api import patch as patch
from ._api import patch_form as patch_form
from ._api import post as post
from ._api import post_form as post_form
from ._api import put as put
from ._api import put_form as put_form
from ._api import request as request
from ._api import spread as spread
from ._cancel import AbortController as AbortController
from ._cancel import AbortSignal as AbortSignal
from ._cancel import CancelStatistics as CancelStatistics
from ._cancel import CancelToken as CancelToken
from ._cancel import CancelTokenSource as CancelTokenSource
from ._client import Client as Client
from ._client import ClientState as ClientState
from ._client import ClientStatistics as ClientStatistics
from ._client import PendingRequest as PendingRequest
from ._client import create as create
from ._config import BasicAuth as BasicAuth
from ._config import Defaults as Defaults
from ._config import RequestConfig as RequestConfig
from ._config import Transitional as Transitional
from ._config import merge_config as merge_config
from ._errors import ECONNABORTED as ECONNABORTED
from ._errors import ERR_BAD_OPTION as ERR_BAD_OPTION
from ._errors import ERR_BAD_OPTION_VALUE as ERR_BAD_OPTION_VALUE
from ._errors import ERR_BAD_REQUEST as ERR_BAD_REQUEST
from ._errors import ERR_BAD_RESPONSE as ERR_BAD_RESPONSE
from ._errors import ERR_CANCELED as ERR_CANCELED
from ._errors import ERR_DEPRECATED as ERR_DEPRECATED
from ._errors import ERR_FR_TOO_MANY_REDIRECTS as ERR_FR_TOO_MANY_REDIRECTS
from ._errors import ERR_INVALID_URL as ERR_INVALID_URL
from ._errors import ERR_NETWORK as ERR_NETWORK
from ._errors import ERR_NOT_SUPPORT as ERR_NOT_SUPPORT
from ._errors import ETIMEDOUT as ETIMEDOUT
from ._errors import AxiosError as AxiosError
from ._errors import CanceledError as CanceledError
from ._errors import is_axios_error as is_axios_error
from ._errors import is_cancel as is_cancel
from ._headers import DefaultHeaders as DefaultHeaders
from ._headers import Headers as Headers
from ._interceptors import InterceptorManager as InterceptorManager
from ._interceptors import Interceptors as Interceptors
from ._models import Request as Request
from ._models import Response as Response
from ._pipeline import Context as Context
from ._pipeline import Next as Next
from ._progress import ProgressEvent as ProgressEvent
from ._version import __version__ as __version__
from .middleware import AuthRefresh as AuthRefresh
from .middleware import AuthRefreshStatistics as AuthRefreshStatistics
from .middleware import Token as Token

__all__ = [
    "ECONNABORTED",
    "ERR_BAD_OPTION",
    "ERR_BAD_OPTION_VALUE",
    "ERR_BAD_REQUEST",
    "ERR_BAD_RESPONSE",
    "ERR_CANCELED",
    "ERR_DEPRECATED",
    "ERR_FR_TOO_MANY_REDIRECTS",
    "ERR_INVALID_URL",
    "ERR_NETWORK",
    "ERR_NOT_SUPPORT",
    "ETIMEDOUT",
    "AbortController",
    "AbortSignal",
    "AuthRefresh",
    "AuthRefreshStatistics",
    "AxiosError",
    "BasicAuth",
    "CancelStatistics",
    "CancelToken",
    "CancelTokenSource",
    "CanceledError",
    "Client",
    "ClientState",
    "ClientStatistics",
    "Context",
    "DefaultHeaders",
    "Defaults",
    "Headers",
    "InterceptorManager",
    "Interceptors",
    "Next",
    "OneShotRequest",
    "PendingRequest",
    "ProgressEvent",
    "Request",
    "RequestConfig",
    "Response",
    "Token",
    "Transitional",
    "__version__",
    "all",
    "create",
    "delete",
    "get",
    "head",
    "is_axios_error",
    "is_cancel",
    "merge_config",
    "options",
    "patch",
    "patch_form",
    "post",
    "post_form",
    "put",
    "put_form",
    "request",
    "spread",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("trioaxios."):
        _obj.__module__ = "trioaxios"
del _name, _obj
