"""stack.py: uvloop and httptools when they import, else asyncio and h11, said in one start-up line."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from kubeless_runtime.stack import Stack

MISSING = "import sys\nsys.modules['uvloop'] = None\nsys.modules['httptools'] = None\n"


def test_nothing_is_said_when_both_are_there() -> None:
    assert Stack(True, True, ()).fallback_line() is None
    assert Stack(True, True, ()).parser == "httptools"


def test_the_line_names_what_is_missing_and_what_is_used_instead() -> None:
    both = Stack(False, False, ("uvloop is not installed", "httptools is not installed"))
    assert both.fallback_line() == (
        "uvloop and httptools are not installed (no wheel for this interpreter or platform): "
        "serving with asyncio and h11 instead, at about 40 % of the throughput"
    )
    assert both.parser == "h11"
    loop_only = Stack(False, True, ("uvloop is not installed",))
    assert loop_only.fallback_line() == (
        "uvloop is not installed (no wheel for this interpreter or platform): serving with asyncio instead, "
        "at a lower throughput"
    )
    broken = Stack(True, False, ("httptools cannot be imported (undefined symbol: llhttp_init)",))
    assert broken.fallback_line() == (
        "httptools cannot be imported (undefined symbol: llhttp_init): serving with h11 instead, at a lower throughput"
    )


def test_asyncios_loop_is_used_without_uvloop() -> None:
    loop = Stack(False, False, ("uvloop is not installed", "httptools is not installed")).new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
    assert isinstance(loop, asyncio.AbstractEventLoop)


def test_detect_sees_modules_that_cannot_be_imported() -> None:
    code = MISSING + "from kubeless_runtime.stack import detect\nprint(detect())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == (
        "Stack(uvloop=False, httptools=False, problems=('uvloop is not installed', 'httptools is not installed'))"
    )
