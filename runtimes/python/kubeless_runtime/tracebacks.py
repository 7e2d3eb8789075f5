"""The traceback of an exception raised by the function's code, as its author wants to read it."""

from __future__ import annotations

import os
import traceback
from typing import Any

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_ASYNCIO = f"{os.sep}asyncio{os.sep}"


def _says_nothing(filename: str) -> bool:
    """The runtime's own frames, importlib's (`<frozen ...>`), the thread pool's and the event loop's."""
    return (
        filename.startswith(_PACKAGE_DIR) or filename.startswith("<frozen") or "concurrent/futures" in filename
        or _ASYNCIO in filename
    )


def _user_tb(exc: BaseException) -> Any:
    tb = exc.__traceback__
    while tb is not None and _says_nothing(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb or exc.__traceback__


def user_traceback(exc: BaseException) -> str:
    """The formatted traceback from the function's own code on (whole when none of it is the function's)."""
    return "".join(traceback.format_exception(type(exc), exc, _user_tb(exc)))


def user_frames(exc: BaseException) -> list[str]:
    """The same frames, one string each (`traceback.format_list`), as Lambda's `stackTrace`."""
    return traceback.format_list(traceback.extract_tb(_user_tb(exc)))
