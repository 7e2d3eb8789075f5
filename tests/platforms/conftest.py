"""The platform checks (run by runtimes/shared/scripts/check-platforms; see tests/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import pinned_wheels  # noqa: E402  (a helper beside this file, not a package)

_CELLS = pytest.StashKey[dict]()


@pytest.fixture
def wheel_table(pytestconfig: pytest.Config) -> dict[tuple[str, str], pinned_wheels.Cell]:
    """(python, arch) -> Cell, printed as a table at the end of the run."""
    return pytestconfig.stash.setdefault(_CELLS, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    cells = config.stash.get(_CELLS, {})
    if not cells:
        return
    terminalreporter.write_sep("-", "wheels of the Python runtime's pinned closure")
    for python in pinned_wheels.PYTHONS:
        row = [f"{arch}: {cells[(python, arch)].summary()}"
               for arch in pinned_wheels.ARCHES if (python, arch) in cells]
        if row:
            terminalreporter.write_line(f"cp{python.replace('.', '')}  " + "  |  ".join(row))
