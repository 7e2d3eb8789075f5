"""Every package the Python runtime installs has a wheel for every interpreter and CPU of the images.

The images are built for CPython 3.11-3.15 on amd64 and arm64 with `pip install` from
constraints.txt; a package without a wheel for one of them would be compiled in the build (no
compiler in the slim bases) or fail. See pinned_wheels.py for how the closure is found.
"""

from __future__ import annotations

import pytest

import pinned_wheels


@pytest.mark.parametrize("arch", pinned_wheels.ARCHES)
@pytest.mark.parametrize("python", pinned_wheels.PYTHONS)
def test_every_pinned_package_has_a_wheel(python: str, arch: str, wheel_table: dict) -> None:
    cell = wheel_table[(python, arch)] = pinned_wheels.resolve(python, arch)
    if cell.problem:
        pytest.fail(f"cp{python.replace('.', '')} {arch}: {cell.problem}", pytrace=False)
    # What the runtime imports on its own must be in the closure, whatever its pyproject says.
    missing = {"starlette", "uvicorn", "uvloop", "httptools", "prometheus-client", "bottle"} - set(cell.wheels)
    assert not missing, f"cp{python.replace('.', '')} {arch}: closure lacks {sorted(missing)}"
