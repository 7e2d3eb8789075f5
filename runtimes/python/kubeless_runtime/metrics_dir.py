"""The directory where prometheus-client's multiprocess mode keeps every process's metrics (see metrics.py).

Kept apart from metrics.py because it must run before prometheus-client is imported: the library
chooses its multiprocess mode from `PROMETHEUS_MULTIPROC_DIR` at import. The CLI calls
`use_private_directory` before loading anything; the supervisor calls `worker_ended` for every
worker it reaps.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from . import runtimelog

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def use_private_directory() -> str | None:
    """Create this runtime's metrics directory (under TMPDIR) and point prometheus-client at it.

    A directory already set in the environment is replaced: files another run left there would be
    added to this run's counts. It is removed when the process that made it (the supervisor) exits.
    With no writable temporary folder at all (a read-only root without a tmpfs on /tmp), /dev/shm is
    tried, then each worker counts alone (None), which is said on stderr.
    """
    os.environ.pop(MULTIPROC_ENV, None)
    folder = None
    for parent in (None, "/dev/shm"):
        try:
            folder = tempfile.mkdtemp(prefix="kubeless-metrics-", dir=parent)
            break
        except OSError:
            continue
    if folder is None:
        runtimelog.notice(
            "no writable temporary folder (TMPDIR, /tmp, /dev/shm): each worker's metrics "
            "count only its own calls and start again when it is replaced",
            runtimelog.logformat.WARN,
        )
        return None
    os.environ[MULTIPROC_ENV] = folder
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # never from a forked child that happens to run atexit handlers
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    return folder


def worker_ended(pid: int) -> None:
    """A worker is gone: drop its in-flight gauge; its counts stay (prometheus-client's bookkeeping)."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(pid)
