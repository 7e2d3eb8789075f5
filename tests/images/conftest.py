"""Fixtures of the image tests: which image each language has, and function folders to mount.

The images come from `--image-python` / `--image-nodejs` (the options the conformance suite
registers) or from KUBELESS_IMAGE_PYTHON / KUBELESS_IMAGE_NODEJS, which
runtimes/shared/scripts/test-images sets after building them. podman must be configured for this
machine (CONTAINERS_CONF, see that script); run the tests through it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from podman import Container, readable_by_anyone  # noqa: E402  (helper beside this file)

FUNCTIONS = Path(__file__).parent / "functions"
LANGUAGES = ("python", "nodejs")
EXTENSION = {"python": ".py", "nodejs": ".js"}


def image_for(config: pytest.Config, language: str) -> str | None:
    try:
        from_option = config.getoption(f"--image-{language}")
    except ValueError:  # the conformance conftest (which registers it) is not loaded
        from_option = None
    return from_option or os.environ.get(f"KUBELESS_IMAGE_{language.upper()}") or None


@pytest.fixture(params=LANGUAGES)
def language(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def image(language: str, pytestconfig: pytest.Config) -> str:
    found = image_for(pytestconfig, language)
    if not found:
        pytest.skip(f"no {language} image: run runtimes/shared/scripts/test-images, "
                    f"or pass --image-{language}")
    return found


@pytest.fixture
def func_dir(language: str, tmp_path: Path) -> Path:
    """A copy of this language's test functions, readable by the container's uid 1000."""
    folder = tmp_path / "functions"
    shutil.copytree(FUNCTIONS / language, folder)
    return readable_by_anyone(folder)


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    """Every container a test starts goes here, and is removed whatever the test's outcome."""
    started: list[Container] = []
    yield started
    for container in started:
        container.remove()
