"""A UTC timestamp formatted once per second: a busy runtime formats the same second thousands of times."""

from __future__ import annotations

import time


class SecondStamp:
    """`time.strftime(format)` of a whole UTC second, remembered until the second changes."""

    __slots__ = ("_format", "_second", "_text")

    def __init__(self, format: str) -> None:  # noqa: A002 - strftime's own word
        self._format = format
        self._second = -1
        self._text = ""

    def __call__(self, second: int) -> str:
        if second != self._second:
            self._text = time.strftime(self._format, time.gmtime(second))
            self._second = second
        return self._text
