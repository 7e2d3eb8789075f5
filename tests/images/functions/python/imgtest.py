"""Functions for the image tests (tests/images): who runs them, and a call that takes a while."""

import os
import time


def whoami(event, context):
    """The ids the function runs with, as the container gave them."""
    return {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid()}


def slow(event, context):
    """A call still in flight when `podman stop` arrives; it must be let finish."""
    time.sleep(float(event["extensions"]["request"].query.get("seconds") or 1))
    return "finished"


def busyWhoami(event, context):  # noqa: N802 - one name for both languages
    """The ids, after `seconds` of busy work (a call past its deadline must be stopped)."""
    until = time.monotonic() + float(event["extensions"]["request"].query.get("seconds") or 0)
    while time.monotonic() < until:
        pass
    return whoami(event, context)
