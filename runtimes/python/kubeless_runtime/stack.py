"""Which event loop and HTTP parser the workers serve with: uvloop and httptools, or their fallbacks.

uvloop and httptools are compiled, and about double uvicorn's throughput. An interpreter or a
platform they have no wheel for yet gets an image without them (the Dockerfile installs them from
wheels only; pyproject.toml's `fast` extra), and the runtime then serves with the pure-Python
equivalents uvicorn also supports: asyncio's own event loop and h11 (protocol_h11.py, with the same
limits and answers as protocol_httptools.py), and says so in one line at start-up (cli.py).

`detect()` runs in the supervisor before the function's folder is put on `sys.path` (loader.py), so
a function's own `uvloop.py` cannot stand in for the real one; the forked workers inherit the answer.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stack:
    uvloop: bool
    httptools: bool
    problems: tuple[str, ...]  # why each missing one is missing: "uvloop is not installed", ...

    @property
    def parser(self) -> str:
        """protocol.protocol_class's `parser`."""
        return "httptools" if self.httptools else "h11"

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        if self.uvloop:
            import uvloop

            return uvloop.new_event_loop()
        return asyncio.new_event_loop()

    def fallback_line(self) -> str | None:
        """The start-up line that says what is missing and what is used instead; None: nothing is."""
        if self.uvloop and self.httptools:
            return None
        instead = [name for name, ok in (("asyncio", self.uvloop), ("h11", self.httptools)) if not ok]
        speed = "about 40 % of the throughput" if not self.uvloop and not self.httptools else "a lower throughput"
        if all(problem.endswith(" is not installed") for problem in self.problems):
            missing = " and ".join(problem.split()[0] for problem in self.problems)
            verb = "are" if len(self.problems) > 1 else "is"
            why = f"{missing} {verb} not installed (no wheel for this interpreter or platform)"
        else:
            why = " and ".join(self.problems)
        return f"{why}: serving with {' and '.join(instead)} instead, at {speed}"


def _importable(name: str) -> str | None:
    """None if `name` imports, else why not."""
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return f"{name} is not installed"
        return f"{name} cannot be imported ({exc})"
    except ImportError as exc:  # a wheel for another ABI, a missing shared library, ...
        return f"{name} cannot be imported ({exc})"
    return None


@functools.cache
def detect() -> Stack:
    problems = {name: _importable(name) for name in ("uvloop", "httptools")}
    return Stack(
        uvloop=problems["uvloop"] is None,
        httptools=problems["httptools"] is None,
        problems=tuple(problem for problem in problems.values() if problem is not None),
    )
